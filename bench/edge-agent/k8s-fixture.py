#!/usr/bin/python3
"""A node's Kubernetes API (pods of the node, list and an idle watch) and kubelet Summary API on
loopback, for bench/edge-agent/node-mode.sh. Usage: k8s-fixture.py PORT PODS. Pod i has IP
127.0.0.(2+i); the kubelet summary lists the same pods with cumulative counters that grow."""
import http.server, json, sys, time, threading

port, pods = int(sys.argv[1]), int(sys.argv[2])
start = time.time()

def pod(i):
    return {"kind": "Pod", "metadata": {"name": "app-%d" % i, "namespace": "bench", "uid": "uid-%d" % i,
            "labels": {"app": "app"}}, "spec": {"nodeName": "bench"},
            "status": {"phase": "Running", "podIP": "127.0.0.%d" % (2 + i), "podIPs": [{"ip": "127.0.0.%d" % (2 + i)}]}}

def summary():
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    up = int((time.time() - start) * 1e9)
    return {"node": {"nodeName": "bench", "startTime": "2026-12-01T00:00:00Z",
                     "cpu": {"time": t, "usageNanoCores": 500000000, "usageCoreNanoSeconds": up},
                     "memory": {"time": t, "workingSetBytes": 2 << 30}},
            "pods": [{"podRef": {"name": "app-%d" % i, "namespace": "bench", "uid": "uid-%d" % i},
                      "startTime": "2026-12-06T00:00:00Z",
                      "cpu": {"time": t, "usageCoreNanoSeconds": up // 10},
                      "memory": {"time": t, "workingSetBytes": 100 << 20},
                      "network": {"time": t, "rxBytes": up // 1000, "txBytes": up // 2000},
                      "containers": [{"name": "app", "cpu": {"time": t, "usageCoreNanoSeconds": up // 10},
                                      "memory": {"time": t, "workingSetBytes": 90 << 20}}]}
                     for i in range(pods)]}

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        if self.path.startswith("/api/v1/pods") and "watch=true" in self.path:
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked"); self.end_headers()
            time.sleep(600); return
        if self.path.startswith("/api/v1/pods"):
            body = json.dumps({"kind": "PodList", "metadata": {"resourceVersion": "1"},
                               "items": [pod(i) for i in range(pods)]}).encode()
        elif self.path.startswith("/stats/summary"):
            body = json.dumps(summary()).encode()
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
