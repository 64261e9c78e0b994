#!/usr/bin/python3
"""Self-test of the e2e harness (no wabridge involved): runs one e2e test script against
standin_bridge.py, a fake bridge made of two Pion legs, and checks the verdict. Without --break
the script must pass; with --expect TEXT it must fail with a message containing TEXT (with
--break WHAT the stand-in misbehaves; some scripts fail against the plain stand-in, which has no
media path to get right). So every e2e check used here is shown able to pass and to fail.

  test_harness_selftest.py --pion PATH --script test_call.py [--case NAME] [--break WHAT]
                           [--expect TEXT]
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pion", required=True)
    parser.add_argument("--script", required=True, help="an e2e test script in this folder")
    parser.add_argument("--case", default="", help="the script's --case")
    parser.add_argument("--break", dest="breakage", default="", help="WAB_E2E_STANDIN_BREAK value")
    parser.add_argument("--expect", default="",
                        help="the script must fail with this text (the stand-in lacks a feature, "
                             "or --break made it misbehave)")
    parser.add_argument("--log-dir", default=os.path.join(tempfile.gettempdir(), "wab-e2e-logs-selftest"))
    args = parser.parse_args()

    standin = f"{sys.executable} {os.path.join(HERE, 'standin_bridge.py')}"
    env = dict(os.environ, WAB_E2E_STANDIN_BREAK=args.breakage)
    command = [sys.executable, os.path.join(HERE, args.script), "--wabridge", standin,
               "--pion", args.pion, "--log-dir", args.log_dir]
    if args.case:
        command += ["--case", args.case]
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=110)
    output = result.stdout.decode("utf-8", "replace")
    verdict = [l for l in output.splitlines() if l.startswith(("PASS ", "FAIL "))]
    verdict = verdict[-1] if verdict else "(no verdict line)"
    if not args.breakage and not args.expect:
        if result.returncode == 0:
            print(f"PASS: {args.script} passes against the stand-in: {verdict}")
            return 0
        print(output)
        print(f"FAIL: {args.script} should pass against the stand-in: {verdict}")
        return 1
    if result.returncode != 0 and args.expect in verdict:
        print(f"PASS: {args.script} fails as expected (break {args.breakage!r}): {verdict}")
        return 0
    print(output)
    print(f"FAIL: with break {args.breakage!r}, {args.script} should fail mentioning "
          f"{args.expect!r}; got status {result.returncode}: {verdict}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
