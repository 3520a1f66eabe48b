"""Descriptor exhaustion and recovery: while a load runs, the vigie
process's RLIMIT_NOFILE is lowered (prlimit, as test_lb.py's
test_out_of_descriptors does) to what it holds plus 4, held there, then
restored. Requests that overlapped the exhaustion are the faulted ones
(they may fail); every request before or after must be answered, and vigie
must neither exit nor spin."""
import os
import resource
import socket
import time

import pytest

from faultlib import (FaultWindow, Load, Loads, dns_tcp_request, dns_udp_request, egress_get,
                      events_send_fresh, fd_count, lb_echo, port_of, size)

HOLD = size(1.5, 6.0)  # seconds out of descriptors (the fault's length, not a wait)
ROUNDS = size(1, 3)
FILLERS = 8
LISTENER = {"lb": "lb.api.0", "egress": "egress-http", "dns": "dns-tcp", "events": "events-tcp"}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loads_for(component, served, world, window):
    if component == "lb":
        port = port_of(served, "lb.api.0")
        return Loads(Load("lb", lambda t: lb_echo(port, t), threads=2, window=window))
    if component == "egress":
        port = port_of(served, "egress-http")
        return Loads(Load("egress", lambda t: egress_get(port, world.origin.port, t), threads=2,
                          window=window))
    if component == "dns":
        port = port_of(served, "dns-udp")
        return Loads(Load("dns-udp", lambda t: dns_udp_request(port, t), window=window),
                     Load("dns-tcp", lambda t: dns_tcp_request(port, t), window=window))
    port = port_of(served, "events-tcp")
    return Loads(Load("events", lambda t: events_send_fresh(port, t), threads=2, window=window))


# Not a vigie bug: the sanitizer's own check needs a descriptor. UBSan's vptr
# check reads the vtable through IsAccessibleMemoryRange(), which writes it
# into a pipe(2); at RLIMIT_NOFILE the pipe fails, the check reports "invalid
# vptr" for a valid object (gdb: the object is vigie::CoreCategory()'s static,
# its vptr the CoreErrorCategory vtable), and -fno-sanitize-recover exits 1.
# Only the sanitized build meets it; the release build asserts as written.
UBSAN_VPTR_NEEDS_A_PIPE = (
    "sanitizer artifact, not vigie: UBSan's vptr check needs a pipe(2) to read the vtable "
    "and reports a valid std::error_category as 'object has invalid vptr' when out of "
    "descriptors; the sanitized process then exits 1")


def sanitizer_cannot_check(served):
    served.wait_exit(10)  # the whole report read, not what the reader had so far
    return ("object has invalid vptr" in served.stderr()
            and "which does not point to an object of type 'error_category'" in served.stderr())




@pytest.mark.parametrize("component,variant", [
    ("lb", "checks"), ("lb", "no checks"), ("egress", ""), ("dns", ""), ("events", "")])
def test_descriptor_exhaustion_and_recovery(serve, world, case, component, variant):
    c = case(component, "descriptor exhaustion (RLIMIT_NOFILE = open + 4) and recovery"
             + (f", {variant}" if variant else ""))
    sections = {k: "" for k in ("lb", "egress", "dns", "events")}
    del sections[component]
    if variant == "no checks":
        sections["lb"] = world.lb_section(checks=False)
    served = serve(world.config(**sections))
    pid = served.proc.pid
    window = FaultWindow()
    loads = loads_for(component, served, world, window)
    loads.wait_answered(5)
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    listen_port = port_of(served, LISTENER[component])
    cpu, fillers_accepted = [], []
    try:
        for _ in range(ROUNDS):
            in_use = fd_count(pid)
            window.open()  # before the limit: a request failing on it is faulted
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 4, hard))
            # Idle connections take the last descriptors (the load's own
            # connections then wait in the listen queue); they are faulted.
            fillers = [socket.create_connection(("127.0.0.1", listen_port), timeout=10)
                       for _ in range(FILLERS)]
            before = cpu_seconds(pid)
            time.sleep(HOLD)  # the fault lasts HOLD seconds while the load runs
            cpu.append(round(cpu_seconds(pid) - before, 2))
            fillers_accepted.append(fd_count(pid) - in_use)
            if served.proc.poll() is not None and sanitizer_cannot_check(served):
                c.known_bug = UBSAN_VPTR_NEEDS_A_PIPE
                pytest.xfail(UBSAN_VPTR_NEEDS_A_PIPE)
            assert served.proc.poll() is None, (
                f"vigie exited with {served.proc.returncode} while out of descriptors:\n"
                + "\n".join(l for l in served.stderr_lines if "runtime error" in l
                            or "Sanitizer" in l)[:2000] + "\n...\n" + served.stderr()[-2000:])
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            for f in fillers:
                f.close()
                c.tally.faulted_neither()
            window.close()
            # Recovered: ordinary requests (started after the restore) are answered.
            loads.wait_answered(10, timeout=30)
    finally:
        if served.proc.poll() is None:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        loads.stop(c.tally)
        c.notes = {"hold_s": HOLD, "rounds": ROUNDS, "cpu_s_while_out": cpu,
                   "descriptors_taken_while_out": fillers_accepted, "loads": loads.summary()}
        c.finish(served)
    c.assert_clean()
    # Out of descriptors, vigie waits (backs off) rather than spinning a core.
    assert max(cpu) < 0.5 * HOLD, f"CPU seconds used while out of descriptors: {cpu}"
