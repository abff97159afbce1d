# buildserver — developer entry points. `make help` lists them.
SHELL := /bin/bash
MVN ?= mvn
MVN_FLAGS ?= -B -ntp
JAR := operator/target/builder.jar
BENCH_SIZES ?= 100,1000,10000
comma := ,
# make bench runs the operator on Java 25 and, side by side, on this Java 17 (BENCH_JDK17= to skip).
BENCH_JDK17 ?= $(firstword $(wildcard /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-17-jdk-amd64))
S3 ?= moto
FROM ?= f1b0c16
# Java 25 builds, tests and runs everything (hack/jdk.sh finds it or says what is missing); the
# bytecode stays at 17. JDK=/path runs a target on another JDK (make run JDK=… on Java 17; make
# test needs 25).
ifeq ($(origin JDK),undefined)
JDK := $(shell hack/jdk.sh)
endif
JDK_MAJOR := $(shell sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $(JDK)/release 2>/dev/null)
export JAVA_HOME := $(JDK)
export PATH := $(JDK)/bin:$(PATH)
ifeq ($(shell [ "0$(JDK_MAJOR)" -ge 24 ] && echo new),new)
# Maven's own Guava and Guice use sun.misc.Unsafe, which Java 24+ warns about on every build.
export MAVEN_OPTS ?= --sun-misc-unsafe-memory-access=allow
endif

.DEFAULT_GOAL := help
.PHONY: help prereqs tools build crds test test-unit test-localstack test-seaweedfs lint fmt run stack demo bench chaos upgrade-test image chart clean
# One version for the jar (pom.xml), the chart (version, appVersion) and the image: MainTest checks.
VERSION := $(shell sed -n 's/^appVersion: "\(.*\)"$$/\1/p' helm/buildserver/Chart.yaml)
IMAGE ?= ghcr.io/buildserver-dev/builder:$(VERSION)
IMAGE_BASE ?= eclipse-temurin:25-jre
CONTAINER_TOOL ?= $(notdir $(firstword $(shell command -v docker podman 2>/dev/null)))

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

prereqs:
	@hack/prereqs.sh

tools: prereqs ## install the local test rig: moto and LocalStack venvs, the Kubernetes binaries, toxiproxy (cached)
	@hack/python-venv.sh
	@hack/localstack-venv.sh >/dev/null
	@hack/kube-binaries.sh >/dev/null
	@hack/toxiproxy.sh >/dev/null

build: prereqs ## build operator/target/builder.jar (no tests) and its AOT cache for bin/builder (Java 25)
	$(MVN) $(MVN_FLAGS) -q package -DskipTests
	@hack/aot-cache.sh

crds: prereqs ## regenerate crds/ (and the chart's copy) from the Java API types
	$(MVN) $(MVN_FLAGS) -q process-test-classes
	rm -f crds/*.yml helm/buildserver/crds/*.yml
	cp operator/target/classes/META-INF/fabric8/*.yml crds/
	cp operator/target/classes/META-INF/fabric8/*.yml helm/buildserver/crds/
	@echo "crds/ and helm/buildserver/crds/ regenerated: review and commit the change"

test: tools ## unit, component and end-to-end tests (real kube-apiserver + moto)
	$(MVN) $(MVN_FLAGS) verify

test-localstack: tools ## the AWS-facing tests against LocalStack (a container where Docker runs, else a host process)
	rm -f operator/target/localstack-runtime.txt
	$(MVN) $(MVN_FLAGS) test -Plocalstack; rc=$$?; cat operator/target/localstack-runtime.txt 2>/dev/null; exit $$rc

test-seaweedfs: tools ## the S3 layer's tests against SeaweedFS, a real S3 server (built once from the Go module proxy, ~3 min)
	@hack/seaweedfs.sh >/dev/null
	$(MVN) $(MVN_FLAGS) test -Pseaweedfs

test-unit: prereqs ## the tests that need no server (no moto, no API server): under a minute
	$(MVN) $(MVN_FLAGS) test -Dskip.e2e=true -Dsurefire.excludedGroups=bench,component

lint: prereqs ## check formatting (google-java-format through Spotless) and the workflows (actionlint)
	$(MVN) $(MVN_FLAGS) -q spotless:check
	@hack/actionlint.sh

fmt: prereqs ## format the Java sources
	$(MVN) $(MVN_FLAGS) -q spotless:apply

run: tools build ## run the operator: on the cluster in your kubeconfig, else on a local control plane + moto
	@S3=$(S3) hack/local-stack.sh run

stack: tools ## the local control plane, moto and the sample ledger without the operator; writes .local/env (S3=seaweedfs: S3 from SeaweedFS)
	@S3=$(S3) hack/local-stack.sh stack

demo: tools build ## start the local stack, apply every example, show the results, stop
	@S3=$(S3) hack/local-stack.sh demo

bench: tools build ## benchmarks (kept out of make test): docs/benchmarks.md and docs/benchmarks.png (BENCH_SIZES=100,1000,10000)
	rm -rf operator/target/bench
	$(MVN) $(MVN_FLAGS) test -Dskip.e2e=true -Dsurefire.groups=bench -Dsurefire.excludedGroups=none -Dbench.sizes=$(BENCH_SIZES) \
	  -Dbuilder.jar=$(CURDIR)/$(JAR) -Dbench.nmt=true -Dbench.jdks=$(JDK)$(if $(BENCH_JDK17),$(comma)$(BENCH_JDK17))
	@BENCH_JDKS="$(JDK)$(if $(BENCH_JDK17),$(comma)$(BENCH_JDK17))" hack/bench-report.sh

chaos: tools build ## the reliability suite at full size against the real jar: operator/target/chaos/summary.{json,md}
	rm -rf operator/target/chaos
	$(MVN) $(MVN_FLAGS) test -Dskip.e2e=true -Dtest='ChaosE2ETest,HostileInputE2ETest' -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dchaos.size=full -Dbuilder.jar=$(CURDIR)/$(JAR)
	@.venv/bin/python hack/chaos-report.py operator/target/chaos docs/reliability.md

upgrade-test: tools build ## today's operator takes over live resources from FROM's (default f1b0c16), then rolls back: operator/target/upgrade/summary.md
	@from_dir="$$(MVN="$(MVN)" hack/upgrade-from.sh $(FROM))" && \
	$(MVN) $(MVN_FLAGS) test -Dskip.e2e=true -Dsurefire.groups=upgrade -Dsurefire.excludedGroups=none \
	  -Dtest=UpgradeE2ETest -Dsurefire.failIfNoSpecifiedTests=false -Dbuilder.jar=$(CURDIR)/$(JAR) \
	  -Dupgrade.from="$$(git rev-parse --verify '$(FROM)^{commit}')" -Dupgrade.from.dir="$$from_dir" \
	  -Dupgrade.today="$$(git rev-parse HEAD)$$(git diff --quiet HEAD || echo ' with uncommitted changes')"

image: build ## the image (Dockerfile: trains the AOT cache on the image's own JDK) with docker or podman (IMAGE, IMAGE_BASE)
	@[ -n "$(CONTAINER_TOOL)" ] || { echo "make image: needs docker or podman (or CONTAINER_TOOL=...): neither is on PATH" >&2; exit 1; }
	$(CONTAINER_TOOL) build --build-arg BASE=$(IMAGE_BASE) -t $(IMAGE) .

chart: prereqs ## lint and package the Helm chart into operator/target/chart/ (real Helm, in-process)
	$(MVN) $(MVN_FLAGS) -q -pl operator -DskipTests test-compile org.codehaus.mojo:exec-maven-plugin:3.5.1:java \
	  -Dexec.classpathScope=test -Dexec.mainClass=dev.buildserver.chart.PackageChart -Dexec.args="$(CURDIR)/helm/buildserver $(CURDIR)/operator/target/chart"

clean: ## remove build output and the local stack's state
	$(MVN) $(MVN_FLAGS) -q clean
	rm -rf .local
