#!/usr/bin/env bash
# Records an AppCDS archive for the jar (operator/target/builder.jsa): the classes a command loads,
# pre-parsed, so bin/builder starts about twice as fast. The training run starts the application
# context and the HTTP client like `builder balance` does, against a port where nothing listens
# (it fails, as intended, once the classes are loaded).
set -euo pipefail
cd "$(dirname "$0")/.."
jar=operator/target/builder.jar
archive=operator/target/builder.jsa
[ -f "$jar" ] || { echo "hack/cds-archive.sh: $jar not found: run make build" >&2; exit 1; }
rm -f "$archive"
java -XX:ArchiveClassesAtExit="$archive" -XX:TieredStopAtLevel=1 -jar "$jar" \
  balance --url 'http://127.0.0.1:9/{page}.json' >/dev/null 2>&1 || true
[ -f "$archive" ] || { echo "hack/cds-archive.sh: the JVM wrote no archive" >&2; exit 1; }
