#!/usr/bin/env bash
# Makes every avatar of a deployed stack again with an S3 Batch Operations job, after the
# settings changed (a new size, another format, a better crop):
#
#   bash examples/aws-cdk/regenerate.sh                          # the function's own settings
#   bash examples/aws-cdk/regenerate.sh SIZES=512,128 OUTPUT_FORMAT=webp   # settings for this job only
#   bash examples/aws-cdk/regenerate.sh --dry-run                # write the manifest and the job, create nothing
#
# Steps: list the uploads folder (aws s3api list-objects-v2), write the manifest (one
# `bucket,key` line per upload whose extension the function is notified of), put it into the
# regeneration bucket under manifests/, and create the job (aws s3control create-job) that
# invokes the process function once per upload with the RegenerateJobRole; the completion
# report of every task goes under reports/ in the same bucket. Avatars that are already up
# to date are skipped by the function, so running a job twice costs little.
#
# NAME=VALUE arguments are the job's userArguments: SIZES, PROCESS_WIDTH, PROCESS_HEIGHT,
# OUTPUT_FORMAT, QUALITY, CROP, CACHE_CONTROL, checked like the function's environment. To
# change the settings for good, redeploy with them (e.g. THUMBING_SIZES=512,128) and run this
# script without arguments: new uploads then get the same avatars as the old ones.
#
# Options: --outputs FILE (default examples/aws-cdk/cdk-outputs.json, written by deploy.sh),
# --stack NAME (read the outputs with `aws cloudformation describe-stacks` instead),
# --dry-run. Needs the AWS CLI v2 with credentials allowed s3:ListBucket on the uploads
# bucket, s3:PutObject on the regeneration bucket, s3:CreateJob and iam:PassRole on the
# job's role; Node 20 (the manifest writer is bin/regenerate-job.ts, built with npm ci + tsc).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'regenerate: %s\n' "$*" >&2; exit 1; }

outputs="$here/cdk-outputs.json"
stack=""
dry_run=0
settings=()
while (($#)); do
  case "$1" in
    --outputs) outputs="${2:?--outputs needs a file}"; shift 2 ;;
    --stack) stack="${2:?--stack needs a stack name}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *=*) settings+=("$1"); shift ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
  esac
done

command -v aws >/dev/null || die "the AWS CLI v2 is needed: https://docs.aws.amazon.com/cli/"
command -v node >/dev/null || die "Node.js 20 or newer is needed"
if [[ ! -f "$here/dist/bin/regenerate-job.js" || "$here/lib/regenerate.ts" -nt "$here/dist/bin/regenerate-job.js" ]]; then
  log "building the manifest writer (npm ci, tsc)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error && npx tsc)
fi
job_tool() { node "$here/dist/bin/regenerate-job.js" "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -n "$stack" ]]; then
  log "outputs of stack $stack"
  aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0]' --output json >"$work/outputs.json"
  outputs="$work/outputs.json"
fi
[[ -f "$outputs" ]] || die "no stack outputs at $outputs: deploy with deploy.sh, or name the stack with --stack"

# stack, uploads_bucket, upload_prefix, regeneration_bucket, function_arn, region, account
target="$(job_tool target "$outputs")"
eval "$target"
# Check the job's settings before listing anything.
job_tool job "$outputs" manifests/check x x "${settings[@]}" >/dev/null

log "listing s3://$uploads_bucket/$upload_prefix"
aws s3api list-objects-v2 --region "$region" --bucket "$uploads_bucket" --prefix "$upload_prefix" \
  --query '{Contents: Contents[].{Key: Key}}' --output json >"$work/listing.json"
count="$(job_tool manifest "$outputs" "$work/listing.json" "$work/manifest.csv")"
if [[ "$count" == 0 ]]; then
  log "no uploads in s3://$uploads_bucket/$upload_prefix: nothing to regenerate"
  exit 0
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
key="manifests/regenerate-$stamp.csv"
if ((dry_run)); then
  cp "$work/manifest.csv" "$here/regenerate-manifest.csv"
  job_tool job "$outputs" "$key" "(etag of the uploaded manifest)" "regenerate-$stamp" "${settings[@]}" >"$here/regenerate-job.json"
  log "dry run: $count uploads; the manifest is $here/regenerate-manifest.csv, the job $here/regenerate-job.json"
  exit 0
fi

log "putting the manifest ($count uploads) at s3://$regeneration_bucket/$key"
etag="$(aws s3api put-object --region "$region" --bucket "$regeneration_bucket" --key "$key" \
  --body "$work/manifest.csv" --content-type text/csv --query ETag --output text)"
job_tool job "$outputs" "$key" "$etag" "regenerate-$stamp" "${settings[@]}" >"$work/job.json"

log "creating the S3 Batch Operations job"
job_id="$(aws s3control create-job --region "$region" --cli-input-json "file://$work/job.json" --query JobId --output text)"
cat >&2 <<EOF
Job $job_id: $count uploads through $function_arn.
Follow it:       aws s3control describe-job --region $region --account-id $account --job-id $job_id \\
                   --query 'Job.[Status, ProgressSummary]'
Report when done: s3://$regeneration_bucket/reports/job-$job_id/
EOF
echo "$job_id"
