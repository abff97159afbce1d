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
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return f"{cores} cores ({model}), {mem_kib / 1024 / 1024:.0f} GiB, {platform.system()} {platform.release()}, {java}"


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
    sizes = [r["size"] for r in rows]
    fig, (time_ax, rss_ax) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    time_ax.plot(sizes, [r["operatorSeconds"] for r in rows], "o-", label="operator: first create → all Ready")
    time_ax.plot(sizes, [r["floorSeconds"] for r in rows], "s--", label="API server floor (3 writes each)")
    time_ax.set_xscale("log")
    time_ax.set_yscale("log")
    time_ax.set_xlabel("BuildAssets")
    time_ax.set_ylabel("seconds")
    time_ax.set_title("Convergence")
    time_ax.legend(fontsize=8)
    time_ax.grid(True, which="both", alpha=0.3)
    rss_ax.plot(sizes, [r["rssMiB"] for r in rows], "o-", label="RSS when all Ready")
    rss_ax.plot(sizes, [r["peakRssMiB"] for r in rows], "^:", label="peak RSS")
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


def main():
    os.makedirs("docs", exist_ok=True)
    sections = [s for s in (section(name) for name in ORDER) if s]
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
