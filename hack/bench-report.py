"""Puts the results of `make bench` (operator/target/bench/) together into docs/benchmarks.md and
docs/benchmarks.png: the scaling curves (time to all Ready, and RSS, by number of BuildAssets)."""
import datetime
import json
import os
import platform
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = "operator/target/bench"
ORDER = ["convergence", "shards", "startup", "ec2-runs", "asset-upload", "ledger-fetch"]


def machine():
    cores = os.cpu_count()
    with open("/proc/meminfo") as f:
        mem_kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    jdks = []
    for home in filter(None, os.environ.get("BENCH_JDKS", os.environ.get("JAVA_HOME", "")).split(",")):
        java = os.path.join(home, "bin", "java")
        jdks.append(subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()[0])
    return (f"{cores} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB, {platform.system()} {platform.release()}, "
            + " and ".join(jdks))


def section(name):
    for ext in (".md", ".txt"):
        path = os.path.join(RESULTS, name + ext)
        if os.path.exists(path):
            text = open(path).read().rstrip()
            if ext == ".txt":  # the older benchmarks write plain lines
                title = name.replace("-", " ").capitalize()
                text = f"## {title}\n\n```\n{text}\n```"
            return text
    return None


def chart(out):
    path = os.path.join(RESULTS, "convergence.json")
    if not os.path.exists(path):
        return False
    rows = sorted(json.load(open(path)), key=lambda r: r["size"])
    jdks = sorted({r.get("jdk", 17) for r in rows}, reverse=True)
    fig, (time_ax, rss_ax) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    floor = {r["size"]: r for r in rows}
    sizes = sorted(floor)
    time_ax.plot(sizes, [floor[s]["floorSeconds"] for s in sizes], "s--", color="grey",
                 label="full floor (create, patch, PutObject, patch)")
    time_ax.plot(sizes, [floor[s]["apiServerFloorSeconds"] for s in sizes], "x:", color="grey",
                 label="API server floor (3 writes)")
    for jdk in jdks:
        mine = [r for r in rows if r.get("jdk", 17) == jdk]
        time_ax.plot([r["size"] for r in mine], [r["operatorSeconds"] for r in mine], "o-",
                     label=f"operator on Java {jdk}: first create → all Ready")
        rss_ax.plot([r["size"] for r in mine], [r["rssMiB"] for r in mine], "o-",
                    label=f"Java {jdk}: RSS when all Ready")
        rss_ax.plot([r["size"] for r in mine], [r["peakRssMiB"] for r in mine], "^:",
                    label=f"Java {jdk}: peak RSS")
    time_ax.set_xscale("log")
    time_ax.set_yscale("log")
    time_ax.set_xlabel("BuildAssets")
    time_ax.set_ylabel("seconds")
    time_ax.set_title("Convergence")
    time_ax.legend(fontsize=8)
    time_ax.grid(True, which="both", alpha=0.3)
    rss_ax.axhline(256, color="red", linewidth=1, label="goal: 256 MiB")
    rss_ax.set_xscale("log")
    rss_ax.set_ylim(bottom=0)
    rss_ax.set_xlabel("BuildAssets")
    rss_ax.set_ylabel("MiB")
    rss_ax.set_title("Operator memory (chart JVM options)")
    rss_ax.legend(fontsize=8)
    rss_ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    return True


def load(name):
    path = os.path.join(RESULTS, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None


def goals():
    """The goals of issue 24, each met or not, from the figures of this run."""
    rows = []

    def goal(what, figure, met):
        rows.append(f"| {what} | {figure} | {'met' if met else '**not met**'} |")

    convergence = load("convergence") or []
    newest = max((r.get("jdk", 17) for r in convergence), default=None)
    for r in sorted((r for r in convergence if r.get("jdk") == newest), key=lambda r: r["size"]):
        if r["size"] >= 1000 and r["floorSeconds"] == r["floorSeconds"]:  # not NaN
            ratio = r["operatorSeconds"] / r["floorSeconds"]
            old = r["operatorSeconds"] / r["apiServerFloorSeconds"]
            goal(f"{r['size']:,} BuildAssets Ready ≤ 1.3× the full floor (Java {newest})",
                 f"{ratio:.2f}× (the API-server-only floor: {old:.2f}×)", ratio <= 1.3)
        if r["size"] == 10000:
            goal(f"RSS ≤ 256 MiB with 10,000 BuildAssets Ready, chart options (Java {newest})",
                 f"{r['rssMiB']:.0f} MiB", r["rssMiB"] <= 256)
    for r in load("startup") or []:
        if r["jdk"] != newest or not r["aotCache"]:
            continue
        goal(f"operator start → ready ≤ 2 s as the image and the chart start it (Java {newest})",
             f"{r['operatorReadySeconds']:.2f} s", r["operatorReadySeconds"] <= 2)
        goal(f"`bin/builder operator` start → ready ≤ 2 s (Java {newest})",
             f"{r['makeRunReadySeconds']:.2f} s", r["makeRunReadySeconds"] <= 2)
        goal("`builder balance` over the sample ledger ≤ 1 s", f"{r['balanceSeconds']:.2f} s",
             r["balanceSeconds"] <= 1)
        goal("`builder --version` < 0.5 s", f"{r['versionSeconds']:.2f} s", r["versionSeconds"] < 0.5)
    upload = load("asset-upload")
    if upload:
        goal("1 GiB url upload by the operator ≥ 1.0× the plain SDK's speed",
             f"{upload['speedRatio']:.2f}×", upload["speedRatio"] >= 1.0)
    ledger = load("ledger-fetch")
    if ledger:
        goal("ledger read ≤ 1.1× its floor", f"{ledger['ratioToFloor']:.2f}×", ledger["ratioToFloor"] <= 1.1)
    if not rows:
        return None
    return "\n".join(["## Goals", "", "| goal | this run | |", "|---|---:|---|"] + rows)


def main():
    os.makedirs("docs", exist_ok=True)
    sections = [s for s in [goals()] + [section(name) for name in ORDER] if s]
    if not sections:
        sys.exit(f"bench-report: no results in {RESULTS}: run make bench")
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.date.today().isoformat()} by `make bench` on {machine()}.",
        "Everything runs on this one machine: kube-apiserver and etcd, moto, the operator and the",
        "load generator share its cores, so every figure with a baseline is a ratio against that",
        "baseline measured in the same run.",
        "",
    ]
    if chart("docs/benchmarks.png"):
        lines += ["![scaling](benchmarks.png)", ""]
    lines += ["\n\n".join(sections), ""]
    lines += ["What the figures led to, before and after: [tuning.md](tuning.md).", ""]
    open("docs/benchmarks.md", "w").write("\n".join(lines))
    print("wrote docs/benchmarks.md" + (" and docs/benchmarks.png" if os.path.exists("docs/benchmarks.png") else ""))


if __name__ == "__main__":
    main()
