"""moto server with two additions the local stack needs, as a WSGI layer in front of moto's app.

1. EC2 RunInstances is idempotent on ClientToken, as on real EC2: a retried call with a token seen
   before answers the first call's reservation instead of launching again. moto stores the token but
   launches anew, so a connection reset after moto launched (make chaos) would show a duplicate that
   real EC2 never makes.
2. A record of who signed what, for the tenancy tests: every signed request's access key, service,
   method, path and (EC2/STS/IAM) action, the last 50,000 of them.
       GET    /_chaos/requests  -> [{"accessKey": .., "service": .., "method": .., "path": .., "action": ..}]
       DELETE /_chaos/requests  (forget them)
3. AWS faults on demand, for make chaos: a share of the calls signed with chosen access keys answer
   the way a throttled AWS does (503 SlowDown or ServiceUnavailable from S3; 503
   RequestLimitExceeded or Unavailable from EC2) before moto sees them.
       POST /_chaos/faults  {"rate": 0.2, "accessKeys": ["chaos-operator"]}   (rate 0: off)
       GET  /_chaos/faults  -> {"rate": .., "injected": {"s3/SlowDown": n, ...}, "idempotentReplays": n}

Usage: python hack/moto-front.py HOST PORT
"""

import collections
import io
import json
import random
import re
import sys
import threading
import uuid
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple
from werkzeug.wsgi import get_input_stream

CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/aws4_request")
S3_FAULTS = [("SlowDown", "Please reduce your request rate."), ("ServiceUnavailable", "Service is unable to handle request.")]
EC2_FAULTS = [("RequestLimitExceeded", "Request limit exceeded."), ("Unavailable", "The server is overloaded and cannot handle the request.")]


class Front:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.rate = 0.0
        self.keys = set()
        self.injected = {}
        self.replays = 0
        self.launches = {}  # ClientToken -> (status, headers, body)
        self.token_locks = {}
        self.random = random.Random()
        self.requests = collections.deque(maxlen=50_000)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_chaos/faults"):
            return self.control(environ, start_response)
        if environ.get("PATH_INFO", "").startswith("/_chaos/requests"):
            return self.recorded(environ, start_response)
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(2) if match else None
        body = None
        if service in ("ec2", "sts", "iam") or (match and self.should_fault(match.group(1))):
            body = get_input_stream(environ).read()  # read whole: the connection stays usable
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input_terminated"] = False
        if match:
            action = None
            if body is not None and service in ("ec2", "sts", "iam"):
                action = parse_qs(body.decode("utf-8", "replace")).get("Action", [None])[0]
            with self.lock:
                self.requests.append(
                    {
                        "accessKey": match.group(1),
                        "service": service,
                        "method": environ.get("REQUEST_METHOD"),
                        "path": environ.get("PATH_INFO", ""),
                        "action": action,
                    }
                )
        if match and self.should_fault(match.group(1)) and self.roll():
            return self.fault(service, environ, start_response)
        if service == "ec2":
            form = parse_qs(body.decode("utf-8", "replace"))
            token = form.get("ClientToken", [None])[0]
            if form.get("Action", [None])[0] == "RunInstances" and token:
                return self.run_instances_once(token, environ, start_response)
        return self.app(environ, start_response)

    def should_fault(self, access_key):
        return self.rate > 0 and (not self.keys or access_key in self.keys)

    def roll(self):
        with self.lock:
            return self.random.random() < self.rate

    def fault(self, service, environ, start_response):
        if service == "ec2":
            code, message = self.random.choice(EC2_FAULTS)
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
            )
        else:
            code, message = self.random.choice(S3_FAULTS)
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Error>'
                f"<Code>{code}</Code><Message>{message}</Message><RequestId>{uuid.uuid4()}</RequestId></Error>"
            )
        with self.lock:
            kind = f"{service}/{code}"
            self.injected[kind] = self.injected.get(kind, 0) + 1
        data = b"" if environ.get("REQUEST_METHOD") == "HEAD" else body.encode()
        start_response("503 Service Unavailable", [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))])
        return [data]

    def run_instances_once(self, token, environ, start_response):
        with self.lock:
            token_lock = self.token_locks.setdefault(token, threading.Lock())
        with token_lock:
            earlier = self.launches.get(token)
            if earlier is None:
                captured = {}

                def capture(status, headers, exc_info=None):
                    captured["status"], captured["headers"] = status, headers
                    return lambda chunk: None

                body = b"".join(self.app(environ, capture))
                earlier = (captured["status"], captured["headers"], body)
                if captured["status"].startswith("200"):
                    self.launches[token] = earlier
            else:
                with self.lock:
                    self.replays += 1
        status, headers, body = earlier
        start_response(status, [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))])
        return [body]

    def recorded(self, environ, start_response):
        with self.lock:
            if environ.get("REQUEST_METHOD") == "DELETE":
                self.requests.clear()
            answer = json.dumps(list(self.requests)).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
        return [answer]

    def control(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            settings = json.loads(get_input_stream(environ).read() or b"{}")
            with self.lock:
                self.rate = float(settings.get("rate", 0))
                self.keys = set(settings.get("accessKeys", []))
                if "seed" in settings:
                    self.random.seed(settings["seed"])
        with self.lock:
            answer = json.dumps({"rate": self.rate, "injected": self.injected, "idempotentReplays": self.replays}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
        return [answer]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, Front(app), threaded=True)


if __name__ == "__main__":
    main()
