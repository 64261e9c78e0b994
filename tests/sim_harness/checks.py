"""The checks' bookkeeping of a test script: every check prints PASS or FAIL (quiet ones only
when they fail), failures are kept for the verdict at the end."""

FAILURES = []
QUIET_PASSES = [0]  # quiet checks that passed (a list: importers share the one count)


def log(msg):
    print(msg, flush=True)


def check(ok, what, detail="", quiet=False):
    """Records a check; quiet ones (many of a kind, e.g. one per call) print only when they fail."""
    if ok and quiet:
        QUIET_PASSES[0] += 1
        return ok
    log(f"{'PASS' if ok else 'FAIL'}: {what}{(' - ' + str(detail)) if detail and not ok else ''}")
    if not ok:
        FAILURES.append(f"{what}: {detail}" if detail else what)
    return ok


def verdict(name, context):
    """Prints the failed checks (or that all passed); returns the exit status. context says where
    to look (logs, seed)."""
    if FAILURES:
        log(f"\n{name}: {len(FAILURES)} check(s) failed ({context}):")
        for f in FAILURES:
            log(f"  - {f}")
        return 1
    log(f"\n{name}: all checks passed")
    return 0
