"""A Python multiprocessing.connection Listener for concur's interop tests.

usage: py_listener.py unix|tcp ADDRESS AUTHKEY|-

Prints its address (the port, for tcp) on a line, accepts one connection,
and answers each message received with recv_bytes with send_bytes of
"python X.Y got: " + the message, until the peer closes (prints "EOF"). A
failed handshake prints "AuthenticationError: ..." and exits 3.
"""
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Listener

family, address, key = sys.argv[1:4]
authkey = None if key == "-" else key.encode()
if family == "tcp":
    host, port = address.rsplit(":", 1)
    address, family = (host, int(port)), "AF_INET"
else:
    address, family = address.replace("@", "\0", 1) if address.startswith("@") else address, "AF_UNIX"

with Listener(address, family, authkey=authkey) as listener:
    print(listener.address[1] if family == "AF_INET" else "ready", flush=True)
    try:
        conn = listener.accept()
    except AuthenticationError as e:
        print(f"AuthenticationError: {e}", flush=True)
        sys.exit(3)
    with conn:
        while True:
            try:
                msg = conn.recv_bytes()
            except EOFError:
                print("EOF", flush=True)
                break
            conn.send_bytes(b"python %d.%d got: " % sys.version_info[:2] + msg)
