"""Hardware-in-the-loop harness: talk to a board (real or emulated) over any pyserial URL.

`link` frames requests and waits for replies (retries, timeouts on a monotonic clock, reset
detection); `device` is the protocol's operations (handshake, upload, infer); `targets`
starts and stops emulated boards; `results` is the append-only, resumable results log;
`hil` streams a test split and validates every stage against the host.
"""
