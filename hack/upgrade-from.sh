#!/usr/bin/env bash
# The earlier release make upgrade-test starts from: a git worktree of commit FROM under
# operator/target/upgrade/from-<sha>, with its jar built there once (mvn package -DskipTests) and
# its crds/ kept for the rollback. Prints the worktree's path.
#
#   hack/upgrade-from.sh f1b0c16
#
# The build is skipped when the worktree's operator/target/builder.jar exists for that commit. Run
# it under the same Maven lock as the rest of the build (make upgrade-test is run under one).
set -euo pipefail
cd "$(dirname "$0")/.."

from="${1:?usage: hack/upgrade-from.sh COMMIT}"
sha="$(git rev-parse --verify --quiet "$from^{commit}")" || {
  echo "hack/upgrade-from.sh: $from is not a commit of this repository" >&2
  exit 2
}
dir="$PWD/operator/target/upgrade/from-${sha:0:12}"
jar="$dir/operator/target/builder.jar"

if [ -d "$dir" ] && [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null)" != "$sha" ]; then
  echo "hack/upgrade-from.sh: $dir is not a worktree of $sha: remove it (git worktree remove --force $dir)" >&2
  exit 1
fi
if [ ! -d "$dir" ]; then
  git worktree prune # a worktree under target/ goes with mvn clean; git still lists it until pruned
  mkdir -p "$(dirname "$dir")"
  git worktree add --detach --quiet "$dir" "$sha" >&2
fi
if [ -f "$jar" ]; then
  echo "hack/upgrade-from.sh: $jar of ${sha:0:12} is built already" >&2
else
  echo "hack/upgrade-from.sh: building the jar of ${sha:0:12} in $dir (once)" >&2
  # Its output goes to stderr: stdout carries only the path, which make upgrade-test reads.
  (cd "$dir" && ${MVN:-mvn} -B -ntp -q package -DskipTests) >&2
  [ -f "$jar" ] || { echo "hack/upgrade-from.sh: the build of ${sha:0:12} made no $jar" >&2; exit 1; }
fi
ls "$dir"/crds/*.yml >/dev/null
echo "$dir"
