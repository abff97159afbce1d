#!/usr/bin/env bash
# Puts a little load on a running `make run` stack and scrapes /prometheus every 10 s into DIR, for
# hack/render-dashboard.sh DIR (docs/dashboard.png). Creates 60 BuildAssets and 12 Ec2TestRuns over
# two minutes (every third expects the wrong instance type, so it fails), plus the examples.
#   hack/dashboard-load.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
SCRAPES="${1:?usage: hack/dashboard-load.sh DIR}"
PORT="${OPERATOR_PORT:-8080}"
export KUBECONFIG="${KUBECONFIG:-$PWD/.local/kubeconfig}"
KUBECTL="${KUBECTL:-$PWD/.local/bin/kubectl}"
mkdir -p "$SCRAPES"
scrape() { curl -fsS "localhost:$PORT/prometheus" >"$SCRAPES/$(date +%s).prom"; }

scrape
"$KUBECTL" apply -f examples/ >/dev/null
for round in $(seq 1 12); do
  for i in $(seq 1 5); do
    "$KUBECTL" apply -f - >/dev/null <<YAML
apiVersion: buildserver.dev/v1alpha1
kind: BuildAsset
metadata: {name: load-$round-$i}
spec: {bucket: buildserver-examples, key: load/$round/$i.txt, createBucket: true, source: {inline: "round $round item $i $(head -c $((RANDOM % 4000)) /dev/zero | tr '\0' x)"}}
YAML
  done
  expect=t2.micro
  if [ $((round % 3)) = 0 ]; then expect=m5.large; fi
  "$KUBECTL" apply -f - >/dev/null <<YAML
apiVersion: buildserver.dev/v1alpha1
kind: Ec2TestRun
metadata: {name: smoke-$round}
spec: {region: us-east-1, launchTemplate: {name: buildserver-example}, instanceType: t2.micro, expect: {instanceType: $expect}}
YAML
  sleep 10
  scrape
done
for _ in $(seq 1 6); do
  sleep 10
  scrape
done
