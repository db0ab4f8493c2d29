/**
 * Test fixtures: small but real zip archives holding a `bootstrap` file, written on the fly,
 * so the stack can be synthesized without building the Rust functions.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as cdk from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";

import { type Lookup, readConfig, SETTINGS, type ThumbingConfig } from "../lib/config";
import { ThumbingStack } from "../lib/stack";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip (stored, no compression) with one executable file `bootstrap` holding `content`. */
export function writeBootstrapZip(file: string, content: string): void {
  const name = Buffer.from("bootstrap");
  const data = Buffer.from(content);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(0x0314, 4); // made by: Unix
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE((0o100755 << 16) >>> 0, 38); // -rwxr-xr-x
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  fs.writeFileSync(file, Buffer.concat([local, name, data, central, name, end]));
}

let zips: { processZip: string; uploadUrlZip: string } | undefined;

/** The two fixture zips, made once per test process. */
export function fixtureZips(): { processZip: string; uploadUrlZip: string } {
  if (zips === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "thumbing-cdk-"));
    zips = { processZip: path.join(dir, "process.zip"), uploadUrlZip: path.join(dir, "upload-url.zip") };
    writeBootstrapZip(zips.processZip, "#!/bin/sh\necho process\n");
    writeBootstrapZip(zips.uploadUrlZip, "#!/bin/sh\necho upload-url\n");
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return zips;
}

/** A lookup over a plain map of context values. */
export function lookupFrom(values: Record<string, string>): Lookup {
  for (const key of Object.keys(values)) {
    if (SETTINGS[key] === undefined) throw new Error(`unknown setting ${key} in a test`);
  }
  return (setting) => values[setting.key];
}

/** Settings from `values`, with the fixture zips unless given. */
export function configOf(values: Record<string, string> = {}): ThumbingConfig {
  return readConfig(lookupFrom({ ...fixtureZips(), ...values }), { repoRoot: "/nonexistent" });
}

/** The synthesized template of a stack with these settings. */
export function templateOf(values: Record<string, string> = {}): Template {
  const config = configOf(values);
  const app = new cdk.App();
  const stack = new ThumbingStack(app, config.stackName, { config });
  return Template.fromStack(stack);
}
