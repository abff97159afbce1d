#!/usr/bin/env bash
# The local stack behind `make run` and `make demo`.
#
#   hack/local-stack.sh run    operator in the foreground: against the cluster of your kubeconfig when
#                              one answers, else against a local control plane + moto started here;
#                              writes .local/env (export lines, the HTTP API token among them)
#   hack/local-stack.sh demo   local stack, apply every example, wait, print the tables, stop
#   hack/local-stack.sh stack  local control plane, moto and the sample ledger without the operator;
#                              writes .local/env (export lines) for an operator run from an IDE;
#                              SIGUSR1 restarts kube-apiserver (etcd keeps the state), as make chaos does
#
# Everything listens on 127.0.0.1; state lives in .local/ (STACK_DIR) and is wiped at each start.
# Each start makes a new HTTP API token (BUILDSERVER_API_TOKEN): the operator started here gets it,
# and .local/env (mode 0600) exports it for curl and for an operator started from an IDE.
# Ports: APISERVER_PORT (6443), ETCD_PORT (2379, peer +1), MOTO_PORT (5000), LEDGER_PORT (8089),
# OPERATOR_PORT (8080). Set LOCAL=1 to use the local control plane even when a cluster answers.
# S3=seaweedfs serves S3 from SeaweedFS, a real S3 server (SEAWEEDFS_PORT, 8333; built once by
# hack/seaweedfs.sh), through AWS_ENDPOINT_URL_S3, while EC2 stays on moto.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/versions.env

MODE="${1:-run}"
ROOT="$PWD"
STATE="$(realpath -m "${STACK_DIR:-$ROOT/.local}")"
BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64"
KUBECTL="$BIN/kubectl"
APISERVER_PORT="${APISERVER_PORT:-6443}"
ETCD_PORT="${ETCD_PORT:-2379}"
ETCD_PEER_PORT=$((ETCD_PORT + 1))
MOTO_PORT="${MOTO_PORT:-5000}"
LEDGER_PORT="${LEDGER_PORT:-8089}"
OPERATOR_PORT="${OPERATOR_PORT:-8080}"
S3="${S3:-moto}"
SEAWEEDFS_PORT="${SEAWEEDFS_PORT:-8333}"
case "$S3" in moto | seaweedfs) ;; *) echo "local-stack: S3=$S3 is not a store here: moto or seaweedfs" >&2; exit 2 ;; esac
PIDS=()

say() { echo "==> $*" >&2; }
die() { echo "local-stack: $*" >&2; exit 1; }

cleanup() { # stops what this script started, newest first; SIGKILL after 15 s
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

need_port() { # port, name, variable
  port_free "$1" || die "port $1 ($2) is in use: free it or set $3 to another port"
}

# wait_for "what" seconds command...: retries the command once a second, bounded.
wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local i
  for ((i = 0; i < seconds; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "$what did not come up within ${seconds}s; logs are in $STATE/*.log"
}

start() { # name, command...: starts a background process logging to .local/<name>.log
  local name="$1"
  shift
  "$@" >"$STATE/$name.log" 2>&1 &
  PIDS+=("$!")
}

api_token() { # a new bearer token for the HTTP API of the operator this script starts or prepares
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the HTTP API token (apt-get install openssl)"
  BUILDSERVER_API_TOKEN="$(openssl rand -hex 24)"
  export BUILDSERVER_API_TOKEN
}

write_private() { # file: writes stdin to the file, readable by you only, whole or not at all
  rm -f "$1.tmp"
  (umask 077 && cat >"$1.tmp")
  chmod 600 "$1.tmp"
  mv "$1.tmp" "$1" # a watcher never reads half a file
}

cluster_answers() {
  [ "${LOCAL:-0}" != "1" ] && "$KUBECTL" --request-timeout=3s version >/dev/null 2>&1
}

start_control_plane() {
  need_port "$APISERVER_PORT" kube-apiserver APISERVER_PORT
  need_port "$ETCD_PORT" etcd ETCD_PORT
  need_port "$ETCD_PEER_PORT" "etcd peer" ETCD_PORT
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the local API server's keys (apt-get install openssl)"
  mkdir -p "$STATE/pki"
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  local token
  token="$(openssl rand -hex 24)"
  echo "$token,admin,admin,system:masters" >"$STATE/pki/tokens.csv"

  say "starting etcd v$ETCD_VERSION and kube-apiserver v$K8S_VERSION on 127.0.0.1:$APISERVER_PORT"
  start etcd "$BIN/etcd" --data-dir "$STATE/etcd" --name local \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync
  APISERVER_CMD=("$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --cert-dir "$STATE/pki" --token-auth-file "$STATE/pki/tokens.csv" \
    --authorization-mode RBAC --disable-admission-plugins ServiceAccount \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 --allow-privileged)
  start kube-apiserver "${APISERVER_CMD[@]}"
  APISERVER_INDEX=$((${#PIDS[@]} - 1))

  cat >"$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: buildserver-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: $token
contexts:
- name: buildserver-local
  context: {cluster: buildserver-local, user: admin, namespace: default}
current-context: buildserver-local
KUBECONFIG
  export KUBECONFIG="$STATE/kubeconfig"
  wait_for kube-apiserver 90 "$KUBECTL" get --raw /readyz
  wait_for "the default namespace" 30 "$KUBECTL" get namespace default
}

install_crds() {
  say "installing the buildserver CRDs"
  "$KUBECTL" apply --server-side -f crds/ >/dev/null
  "$KUBECTL" wait --for condition=Established --timeout=60s -f crds/ >/dev/null
}

start_emulators() {
  need_port "$MOTO_PORT" "moto (AWS emulator)" MOTO_PORT
  need_port "$LEDGER_PORT" "sample ledger" LEDGER_PORT
  say "starting moto $MOTO_VERSION on 127.0.0.1:$MOTO_PORT and the sample ledger on 127.0.0.1:$LEDGER_PORT"
  # moto behind hack/moto-front.py: RunInstances idempotent on ClientToken as on EC2, faults on demand
  start moto .venv/bin/python hack/moto-front.py 127.0.0.1 "$MOTO_PORT"
  start ledger .venv/bin/python -m http.server "$LEDGER_PORT" --bind 127.0.0.1 --directory examples/ledger
  wait_for moto 60 curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/"
  wait_for "the sample ledger" 30 curl -fsS "http://127.0.0.1:$LEDGER_PORT/transactions/1.json"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  [ "$S3" = seaweedfs ] && start_seaweedfs
  # The launch template examples/ec2-test-run.yaml starts from.
  .venv/bin/python - <<'PY'
import os, boto3
ec2 = boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
ec2.create_launch_template(
    LaunchTemplateName="buildserver-example",
    LaunchTemplateData={
        "ImageId": "ami-12c6146b",
        "InstanceType": "t2.micro",
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "type", "Value": "aws-test"}]}],
    },
)
PY
}

start_seaweedfs() { # S3 from a real S3 server; its master, volume and filer ports follow SEAWEEDFS_PORT
  need_port "$SEAWEEDFS_PORT" "SeaweedFS S3" SEAWEEDFS_PORT
  local weed
  weed="$(hack/seaweedfs.sh)"
  say "starting SeaweedFS (S3 on 127.0.0.1:$SEAWEEDFS_PORT; EC2 stays on moto)"
  mkdir -p "$STATE/seaweedfs"
  start seaweedfs "$weed" server -dir="$STATE/seaweedfs" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port=$((SEAWEEDFS_PORT + 1)) -master.port.grpc=$((SEAWEEDFS_PORT + 2)) -master.telemetry=false \
    -master.volumeSizeLimitMB=1024 -volume.port=$((SEAWEEDFS_PORT + 3)) -volume.port.grpc=$((SEAWEEDFS_PORT + 4)) \
    -filer -filer.port=$((SEAWEEDFS_PORT + 5)) -filer.port.grpc=$((SEAWEEDFS_PORT + 6)) \
    -s3 -s3.port="$SEAWEEDFS_PORT" -s3.port.grpc=$((SEAWEEDFS_PORT + 7))
  # With AWS_ACCESS_KEY_ID set, SeaweedFS takes those credentials as its one identity: calls are signed.
  wait_for SeaweedFS 60 curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "http://127.0.0.1:$SEAWEEDFS_PORT/"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$SEAWEEDFS_PORT"
}

start_operator() {
  need_port "$OPERATOR_PORT" "operator HTTP" OPERATOR_PORT
  say "starting the operator (HTTP on 127.0.0.1:$OPERATOR_PORT)"
  # Loopback only, and every /buildserver/ call needs BUILDSERVER_API_TOKEN (see README, HTTP API).
  # The sample ledger is on 127.0.0.1: allow-listed, since the operator refuses loopback otherwise.
  BUILDSERVER_OUTBOUND_ALLOW_HOSTS="${BUILDSERVER_OUTBOUND_ALLOW_HOSTS:-127.0.0.1,localhost}" \
    MICRONAUT_SERVER_HOST=127.0.0.1 MICRONAUT_SERVER_PORT="$OPERATOR_PORT" start operator bin/builder operator
  local operator_pid="${PIDS[-1]}"
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$operator_pid" 2>/dev/null || { tail -5 "$STATE/operator.log" >&2; die "the operator exited; see $STATE/operator.log"; }
    if curl -fsS "http://127.0.0.1:$OPERATOR_PORT/health/readiness" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "the operator was not ready within 120s; see $STATE/operator.log"
}

local_stack() {
  infrastructure
  api_token
  start_operator
}

infrastructure() { # everything but the operator
  rm -rf "$STATE"
  mkdir -p "$STATE/bin"
  ln -sf "$KUBECTL" "$STATE/bin/kubectl"
  start_control_plane
  install_crds
  start_emulators
}

write_env() { # the environment an operator (or the CLI, or curl) needs to use this stack
  write_private "$STATE/env" <<ENV
export KUBECONFIG=$STATE/kubeconfig
export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
$([ "$S3" = seaweedfs ] && echo "export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$SEAWEEDFS_PORT")
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export BUILDSERVER_OUTBOUND_ALLOW_HOSTS=127.0.0.1,localhost
export MICRONAUT_SERVER_HOST=127.0.0.1
export BUILDSERVER_API_TOKEN=$BUILDSERVER_API_TOKEN
export PATH=$STATE/bin:\$PATH
ENV
}

stack() {
  infrastructure
  api_token
  write_env
  cat <<TXT

The local stack is up without the operator (logs: $STATE/*.log). Its environment is in
$STATE/env (the HTTP API token included; readable by you only): load it in a shell with

  source $STATE/env

then run the operator from your IDE or debugger with those variables (main class
dev.buildserver.Main, program argument: operator), or from a shell:

  bin/builder operator
  kubectl apply -f examples/put-asset.yaml && kubectl get buildassets
  curl -s -H "Authorization: Bearer \$BUILDSERVER_API_TOKEN" \
    'http://127.0.0.1:8080/buildserver/assets?bucket=buildserver-examples'

Stop with Ctrl-C.
TXT
  RESTART_REQUESTED=0
  trap 'RESTART_REQUESTED=1' USR1
  while true; do
    wait -n "${PIDS[@]}" || true
    if [ "$RESTART_REQUESTED" = 1 ]; then
      RESTART_REQUESTED=0
      restart_apiserver
      continue
    fi
    die "a process of the stack exited; see $STATE/*.log"
  done
}

restart_apiserver() { # SIGTERM, then a new kube-apiserver with the same flags, ready again
  local old="${PIDS[$APISERVER_INDEX]}"
  say "restarting kube-apiserver (pid $old)"
  kill "$old" 2>/dev/null || true
  wait "$old" 2>/dev/null || true
  "${APISERVER_CMD[@]}" >>"$STATE/kube-apiserver.log" 2>&1 &
  PIDS[APISERVER_INDEX]=$!
  wait_for "kube-apiserver (restarted)" 90 "$KUBECTL" get --raw /readyz
  say "kube-apiserver restarted (pid ${PIDS[$APISERVER_INDEX]})"
}

print_next_steps() {
  cat <<TXT

buildserver is running against the local control plane (logs: .local/*.log).
In another terminal (the environment, the HTTP API token included, is in $STATE/env):

  source $STATE/env
  kubectl get crd
  kubectl apply -f examples/put-asset.yaml
  kubectl wait --for=condition=Ready -f examples/put-asset.yaml
  kubectl get buildserver
  kubectl apply -f examples/ec2-test-run.yaml && kubectl get ec2testruns -w
  kubectl explain buildasset.spec.source
  curl -s http://127.0.0.1:$OPERATOR_PORT/health/readiness
  curl -s -X POST --data-binary @README.md -H "Authorization: Bearer \$BUILDSERVER_API_TOKEN" \
    -H 'Content-Type: application/octet-stream' \
    'http://127.0.0.1:$OPERATOR_PORT/buildserver/put-asset?bucket=buildserver-examples&key=README.md&contentType=text/markdown'
  curl -s -H "Authorization: Bearer \$BUILDSERVER_API_TOKEN" \
    'http://127.0.0.1:$OPERATOR_PORT/buildserver/assets?bucket=buildserver-examples'

The AWS emulator (moto) is on http://127.0.0.1:$MOTO_PORT; with that environment the CLI reaches it:
  bin/builder list-assets --bucket buildserver-examples

Stop with Ctrl-C.
TXT
}

run() {
  if cluster_answers; then
    local context
    context="$("$KUBECTL" config current-context 2>/dev/null || echo in-cluster)"
    say "a cluster answers (context $context): installing the CRDs and running the operator against it"
    say "(LOCAL=1 make run starts a local control plane instead)"
    install_crds
    need_port "$OPERATOR_PORT" "operator HTTP" OPERATOR_PORT
    api_token
    mkdir -p "$STATE"
    write_private "$STATE/env" <<ENV
export BUILDSERVER_API_TOKEN=$BUILDSERVER_API_TOKEN
ENV
    say "HTTP on 127.0.0.1:$OPERATOR_PORT; its API token is in $STATE/env (source it, then send"
    say "-H \"Authorization: Bearer \$BUILDSERVER_API_TOKEN\" -H 'Content-Type: application/octet-stream')"
    MICRONAUT_SERVER_HOST=127.0.0.1 MICRONAUT_SERVER_PORT="$OPERATOR_PORT" exec bin/builder operator
  fi
  local_stack
  write_env
  print_next_steps
  wait "${PIDS[-1]}"
}

demo() {
  local_stack
  say "applying every example"
  local example
  for example in examples/*.yaml; do
    "$KUBECTL" apply -f "$example" >/dev/null
  done
  say "waiting for the operator to act on each"
  local wait_for_condition
  for example in examples/*.yaml; do
    case "$example" in
      examples/ec2-test-run.yaml) wait_for_condition=(--for=condition=Complete) ;;
      *) wait_for_condition=(--for=condition=Ready) ;;
    esac
    "$KUBECTL" wait "${wait_for_condition[@]}" --timeout=120s -f "$example" >/dev/null \
      || die "$example did not finish within 120s; see $STATE/operator.log"
  done
  echo
  "$KUBECTL" get buildassets
  echo
  "$KUBECTL" get ec2testruns
  echo
  "$KUBECTL" get balancereports
  echo
  say "demo finished; stopping the local stack"
}

case "$MODE" in
  run) run ;;
  demo) demo ;;
  stack) stack ;;
  *) die "usage: hack/local-stack.sh run|demo|stack" ;;
esac
