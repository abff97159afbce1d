#!/usr/bin/env bash
# Prints the home of the JDK 25 that make, .ci/run and bin/builder use, or says in one line what is
# missing. In order: JDK (a path given by hand, e.g. make run JDK=/usr/lib/jvm/java-17-openjdk-amd64;
# make test needs 25: ImageStartE2ETest trains an AOT cache), JAVA_HOME when it is a JDK 25 or newer, the Temurin 25 this machine carries, then
# any other JDK 25 under /usr/lib/jvm.
set -euo pipefail
major() { # the feature release of the JDK at $1, or nothing
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true
}
if [ -n "${JDK:-}" ]; then
  [ -x "$JDK/bin/java" ] || { echo "JDK=$JDK: no bin/java there" >&2; exit 1; }
  echo "$JDK"
  exit 0
fi
for home in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*; do
  [ -n "$home" ] && [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
  m="$(major "$home")"
  if [ "${m:-0}" -ge 25 ]; then
    echo "$home"
    exit 0
  fi
done
echo "missing prerequisite: a JDK 25 (looked at JAVA_HOME and /usr/lib/jvm/temurin-25-jdk-amd64)" \
  "- install Temurin 25 there (https://adoptium.net), or point JAVA_HOME or JDK at one" >&2
exit 1
