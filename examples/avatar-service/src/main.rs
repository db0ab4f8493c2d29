//! `avatar-service`: the avatar web service (`serve`, the default), its database commands
//! (`migrate`, `rollback`), and `regenerate`, which makes every stored avatar again after
//! the processing settings changed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use thumbing_avatar_service::app::{Service, regenerate_uploads};
use thumbing_avatar_service::config::ServiceConfig;
use thumbing_avatar_service::db::Db;

const USAGE: &str = "\
usage: avatar-service [serve|migrate|rollback] [--bind ADDR] [--data-dir DIR] [--web-dir DIR] [--wasm-pkg-dir DIR]
       avatar-service regenerate [--data-dir DIR] [--concurrency N] [--limit N]

  serve       run the service (default); applies pending migrations first
  migrate     apply pending database migrations
  rollback    undo the latest applied migration
  regenerate  make the avatars of every stored upload again with the current settings
              (SIZES, OUTPUT_FORMAT, QUALITY, …); avatars already made with them are
              skipped, and a stopped run (Ctrl-C, --limit) goes on where it stopped

  --bind ADDR          listen address (default 127.0.0.1:8080)
  --data-dir DIR       local state: SQLite database, local buckets, keys (default data/avatar-service)
  --web-dir DIR        the web page (default examples/avatar-service/web of this repository)
  --wasm-pkg-dir DIR   the WebAssembly package (default bindings-wasm/pkg of this repository)
  --concurrency N      regenerate: uploads processed at once (default: the number of CPUs)
  --limit N            regenerate: stop after N uploads; run again to go on

Settings come from the environment; see examples/avatar-service/README.md.";

struct Args {
    command: String,
    bind: SocketAddr,
    data_dir: PathBuf,
    web_dir: Option<PathBuf>,
    wasm_pkg_dir: Option<PathBuf>,
    concurrency: Option<usize>,
    limit: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        command: "serve".into(),
        bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
        data_dir: PathBuf::from("data/avatar-service"),
        web_dir: None,
        wasm_pkg_dir: None,
        concurrency: None,
        limit: None,
    };
    let mut it = std::env::args().skip(1);
    let mut command_seen = false;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--bind" => {
                let v = value("--bind")?;
                args.bind = v.parse().map_err(|_| format!("--bind {v:?} is not an address like 127.0.0.1:8080"))?;
            }
            "--data-dir" => args.data_dir = value("--data-dir")?.into(),
            "--web-dir" => args.web_dir = Some(value("--web-dir")?.into()),
            "--wasm-pkg-dir" => args.wasm_pkg_dir = Some(value("--wasm-pkg-dir")?.into()),
            "--concurrency" => args.concurrency = Some(count("--concurrency", &value("--concurrency")?)?),
            "--limit" => args.limit = Some(count("--limit", &value("--limit")?)?),
            "serve" | "migrate" | "rollback" | "regenerate" if !command_seen => {
                args.command = arg;
                command_seen = true;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.command != "regenerate" && (args.concurrency.is_some() || args.limit.is_some()) {
        return Err("--concurrency and --limit go with regenerate".into());
    }
    Ok(args)
}

/// A whole number above 0.
fn count(name: &str, value: &str) -> Result<usize, String> {
    value.parse().ok().filter(|&n| n > 0).ok_or_else(|| format!("{name} {value:?} is not a whole number above 0"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("avatar-service: {message}\n");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    let mut config = match ServiceConfig::from_lookup(args.bind, &args.data_dir, |n| std::env::var(n).ok()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("avatar-service: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = args.web_dir {
        config.web_dir = dir;
    }
    if let Some(dir) = args.wasm_pkg_dir {
        config.wasm_pkg_dir = dir;
    }

    let result = match args.command.as_str() {
        "migrate" | "rollback" => database_command(&args.command, &config).await,
        "regenerate" => match regenerate_uploads(&config, args.concurrency, args.limit).await {
            Ok(summary) => return ExitCode::from(summary.exit_code()),
            Err(e) => Err(e.to_string()),
        },
        _ => serve(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("avatar-service: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn database_command(command: &str, config: &ServiceConfig) -> Result<(), String> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    }
    let db = Db::connect(&config.database_url()).await.map_err(|e| e.to_string())?;
    if command == "migrate" {
        let applied = db.migrate().await.map_err(|e| e.to_string())?;
        if applied.is_empty() {
            println!("no pending migrations");
        }
        for version in applied {
            println!("applied {version}");
        }
    } else {
        match db.rollback().await.map_err(|e| e.to_string())? {
            Some(version) => println!("rolled back {version}"),
            None => println!("no migration to roll back"),
        }
    }
    db.close().await;
    Ok(())
}

async fn serve(config: ServiceConfig) -> Result<(), String> {
    let service = Service::bind(config).await.map_err(|e| e.to_string())?;
    println!("avatar service: open {}", service.public_url());
    service
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
