"""A Python multiprocessing.connection Client for concur's interop tests.

usage: py_client.py unix|tcp ADDRESS AUTHKEY|-

Connects, sends a greeting with send_bytes and prints the reply received
with recv_bytes; then sends 100 KB (more than Python writes in one call) and
prints "big ok" if it comes back prefixed with "echo: ". A failed handshake prints "AuthenticationError: ..." and exits 3.
"""
import sys
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

family, address, key = sys.argv[1:4]
authkey = None if key == "-" else key.encode()
if family == "tcp":
    host, port = address.rsplit(":", 1)
    address = (host, int(port))
elif address.startswith("@"):
    address = "\0" + address[1:]

try:
    conn = Client(address, authkey=authkey)
except AuthenticationError as e:
    print(f"AuthenticationError: {e}", flush=True)
    sys.exit(3)
with conn:
    conn.send_bytes(b"hello from python %d.%d" % sys.version_info[:2])
    print(conn.recv_bytes().decode(), flush=True)
    big = bytes(range(256)) * 400
    conn.send_bytes(big)
    print("big ok" if conn.recv_bytes() == b"echo: " + big else "big mismatch", flush=True)
