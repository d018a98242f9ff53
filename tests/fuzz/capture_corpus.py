#!/usr/bin/env python3
"""Records real client frames for the wire fuzzer's seed corpus.

Listens on 127.0.0.1:LISTEN, forwards every connection to a ternd on 127.0.0.1:TARGET and
writes each client-to-server frame to OUT_DIR/<n>.bin. Point an official client at LISTEN
(e.g. tests/fuzz/corpus_workload.js with the Node client), then stop this with Ctrl-C.
Usage: capture_corpus.py LISTEN TARGET OUT_DIR
"""
import os
import socket
import sys
import threading

listen_port, target_port, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out_dir, exist_ok=True)
counter = [0]
lock = threading.Lock()


def pump(src, dst, record):
    buf = b""
    while True:
        data = src.recv(65536)
        if not data:
            dst.close()
            return
        dst.sendall(data)
        if not record:
            continue
        buf += data
        while len(buf) >= 8:
            size = int.from_bytes(buf[2:8], "big")
            if len(buf) < 8 + size:
                break
            with lock:
                counter[0] += 1
                name = os.path.join(out_dir, "%04d.bin" % counter[0])
            with open(name, "wb") as f:
                f.write(buf[: 8 + size])
            buf = buf[8 + size:]


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(16)
while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=pump, args=(client, upstream, True), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
