"""Merges the chaos suite's figures (operator/target/chaos/chaos.json, hostile.json) into
operator/target/chaos/summary.json and summary.md, prints the table, and with a second argument
(docs/reliability.md) puts the table between that file's chaos:begin and chaos:end markers.
Used by make chaos."""

import json
import os
import platform
import re
import sys
from pathlib import Path

out = Path(sys.argv[1] if len(sys.argv) > 1 else "operator/target/chaos")
chaos = json.loads((out / "chaos.json").read_text())
hostile_file = out / "hostile.json"
hostile = json.loads(hostile_file.read_text()) if hostile_file.exists() else {}

summary = {
    "date": chaos.get("finishedAt"),
    "size": chaos.get("size"),
    "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
    "faults": chaos.get("faults", {}),
    "faultsInjected": sum(chaos.get("faults", {}).values()),
    "resources": chaos.get("resources"),
    "deletedMidFlight": chaos.get("deletedMidFlight"),
    "kills": chaos.get("kills"),
    "instancesLaunched": chaos.get("instancesLaunched"),
    "objectsChecked": chaos.get("objectsChecked"),
    "duplicates": chaos.get("duplicates"),
    "leaks": chaos.get("leaks"),
    "losses": chaos.get("losses"),
    "foreignObjectsTouched": chaos.get("foreignObjectsTouched"),
    "wrongReports": chaos.get("wrongReports"),
    "runInstancesReplayed": chaos.get("idempotentRunInstancesReplays", 0),
    "badInputsTried": hostile.get("tried", 0),
    "badInputsAnswered": hostile.get("tried", 0) - hostile.get("unanswered", 0),
    "secretSearches": chaos.get("secretSearches"),
    "secretsFound": chaos.get("secretsFound", 0),  # HostileInputE2ETest fails on any it finds
}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

rows = [("Faults injected", summary["faultsInjected"])]
rows += [(f"- {kind}", n) for kind, n in sorted(summary["faults"].items())]
rows += [
    ("Resources created", summary["resources"]),
    ("Deleted mid-flight", summary["deletedMidFlight"]),
    ("Operator kills (kill -9)", summary["kills"]),
    ("EC2 instances launched (EC2 API)", summary["instancesLaunched"]),
    ("Duplicate instances (EC2 API)", summary["duplicates"]),
    ("RunInstances retried after a lost answer (same ClientToken, one launch)", summary["runInstancesReplayed"]),
    ("Leaks: instances running, objects or uploads left (EC2, S3 APIs)", summary["leaks"]),
    ("Losses: objects missing or wrong (S3 API)", summary["losses"]),
    ("Foreign objects touched (S3 API)", summary["foreignObjectsTouched"]),
    ("Reports wrong against the oracle", summary["wrongReports"]),
    ("Bad inputs tried / answered", f'{summary["badInputsTried"]} / {summary["badInputsAnswered"]}'),
    ("Secrets found (logs, Events, statuses)", summary["secretsFound"]),
]
table = [f"Chaos run, size {summary['size']}, finished {summary['date']} on {summary['machine']}", "",
         "| What | Count |", "|---|---:|"] + [f"| {what} | {n} |" for what, n in rows]
(out / "summary.md").write_text("\n".join(table) + "\n")
print("\n".join(table))

if len(sys.argv) > 2 and summary["size"] == "full":
    docs = Path(sys.argv[2])
    text = docs.read_text()
    block = "<!-- chaos:begin -->\n" + "\n".join(table) + "\n<!-- chaos:end -->"
    docs.write_text(re.sub(r"<!-- chaos:begin -->.*?<!-- chaos:end -->", lambda m: block, text, flags=re.S))
    print(f"{docs} updated")
