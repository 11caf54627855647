"""A real HTTP server speaking the OpenAI chat completions API, scripted per test.

By default it answers like a diligent (if dull) model: it reads the article references and
titles out of the prompt it receives and writes a JSON summary citing them. A test can queue
faults (status codes, delays, bad JSON, unknown citations) to be served first.

It offers batches too (/v1/files: upload and content; /v1/batches: create, retrieve, cancel),
each line answered by the same model as a chat call; a test scripts a batch's faults with
BatchScript (in progress for some checks, expired, failed, cancelled, failed lines, bad answers).
"""

from __future__ import annotations

import email
import json
import math
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.servers import LocalServer, QuietHandler

_ARTICLE = re.compile(r'<article id="(A\d+)" language="([^"]*)"[^>]*>\s*Title: (.*)')
_STORY = re.compile(r'<story id="(S\d+)">\s*Headline: (.*)')


@dataclass
class Reply:
    """One scripted reply."""

    status: int = 200
    content: str | None = None  # the assistant message; None = answer from the prompt
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str | None = None  # raw HTTP body, overriding everything else
    drop: bool = False  # close the connection without answering
    trickle: float = 0.0  # seconds between the body's bytes (an endpoint that stalls mid-answer)


# Distinct English sentences the fake translator answers with, chosen by the source sentence.
ENGLISH = [
    "The council approved the new budget after a long debate on Tuesday.",
    "Thousands of workers joined the strike at the port this weekend.",
    "The central bank expects inflation to slow further next year.",
    "Firefighters battled the blaze through the night as winds picked up.",
    "The space agency said its rover had found ice in a crater.",
    "Shop owners fear that the new rules will hurt their business.",
    "The company offered retraining to every employee affected by the change.",
    "Officials will choose a site for the project within two years.",
]
_SENTENCE = re.compile(r"<sentence>\s*(.*?)\s*</sentence>", re.S)


def answer_from_prompt(messages: list[dict[str, str]]) -> str:
    """A valid answer built from what the prompt contains."""
    prompt = messages[-1]["content"] if messages else ""
    if "headline" in prompt and "<sentence>" in prompt:
        return "Officials announce a new plan"
    if prompt.startswith("Translate") and "<sentence>" in prompt:
        source = _SENTENCE.search(prompt)
        key = sum(map(ord, source.group(1))) if source else 0
        return ENGLISH[key % len(ENGLISH)]
    # A re-ask carries the original prompt earlier in the conversation.
    full = "\n".join(m["content"] for m in messages if m["role"] == "user")
    articles = _ARTICLE.findall(full)
    if articles:
        refs = list(dict.fromkeys(ref for ref, _, _ in articles))
        # A diligent model writes English: it quotes English titles and translates none.
        titles = {ref: title if language == "en" else f"article {ref}" for ref, language, title in articles}
        sentences = [{"text": f"Reports cover {titles[r].strip()[:80]}.", "citations": [r]} for r in refs]
        sentences.insert(0, {"text": f"{titles[refs[0]].strip()[:80]}.", "citations": refs})
        return json.dumps({"headline": f"Story about {titles[refs[0]].strip()[:60]}", "sentences": sentences})
    stories = _STORY.findall(full)
    if stories:
        return json.dumps(
            {"sentences": [{"text": f"Today: {headline.strip()}.", "citations": [ref]} for ref, headline in stories]}
        )
    return json.dumps({"sentences": [{"text": "Nothing to say.", "citations": []}], "prompt": prompt[:20]})


@dataclass
class BatchScript:
    """How the server runs a batch; the default ends 'completed' at its first check."""

    polls: int = 0  # checks answered 'in_progress' before the batch ends
    end: str = "completed"  # completed | expired | failed | cancelled
    answered: int | None = None  # lines answered before the batch expires or is cancelled (None: all)
    failed_lines: tuple[int, ...] = ()  # lines that fail (HTTP 500 in the error file)
    contents: dict[int, str] = field(default_factory=dict)  # lines answered with this text instead


BATCH_ENDS = {"completed", "expired", "failed", "cancelled"}


class ScriptedOpenAI(LocalServer):
    """Start with `with ScriptedOpenAI() as server:`; `server.base_url` is the /v1 URL."""

    def __init__(self) -> None:
        self.queue: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.transform: Callable[[str], str] | None = None
        # Answers chosen by the conversation (a test's own "model"); None falls through.
        self.answer: Callable[[list[dict[str, str]]], str | None] | None = None
        # Served to every request once the queue is empty (a fault that lasts); None = answer well.
        self.always: Reply | None = None
        # Token probabilities, for requests asking for logprobs: the probability the "model" gives
        # every token of an answer, by the answer (default 0.95); rejects_logprobs answers such a
        # request 400, like an endpoint without them.
        self.sureness: Callable[[str], float] = lambda content: 0.95
        self.rejects_logprobs = False
        self.ignores_logprobs = False  # answers `logprobs: null`, like llama-cpp-python's server
        # Batches: False answers 404 on /files and /batches, like an endpoint without them.
        self.offers_batches = True
        self.batch_scripts: list[BatchScript] = []  # for the next batches created, in order
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_inputs: dict[str, list[dict[str, Any]]] = {}  # batch id -> its request lines
        self.batch_log: list[str] = []  # "upload", "create", "retrieve", "list", "cancel", "content", in order
        self._scripts: dict[str, BatchScript] = {}
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        """The endpoint to configure as BRIEFING_LLM_BASE_URL."""
        return self.url("/v1")

    @property
    def chat_calls(self) -> int:
        """How many chat completion requests arrived."""
        return len(self.requests)

    def script(self, *replies: Reply) -> None:
        """Serve these replies first, in order; then answer from the prompt."""
        with self._lock:
            self.queue.extend(replies)

    @property
    def batch_creates(self) -> int:
        """How many batches were created."""
        return self.batch_log.count("create")

    def script_batch(self, *scripts: BatchScript) -> None:
        """Run the next batches created this way, in order; then complete them at the first check."""
        with self._lock:
            self.batch_scripts.extend(scripts)

    def _next(self) -> Reply:
        with self._lock:
            return self.queue.pop(0) if self.queue else self.always or Reply()

    def content_for(self, messages: list[dict[str, str]]) -> str:
        """What the model answers to a conversation (the test's own model first, then the diligent one)."""
        content = self.answer(messages) if self.answer is not None else None
        if content is None:
            content = answer_from_prompt(messages)
        return self.transform(content) if self.transform is not None else content

    def completion(self, payload: dict[str, Any], content: str, number: int) -> dict[str, Any]:
        """A chat completion carrying `content`, with usage counted from the request (and its
        tokens' log-probabilities, one token a word, when the request asks for logprobs)."""
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}}
        choice["finish_reason"] = "stop"
        if payload.get("logprobs") and self.ignores_logprobs:
            choice["logprobs"] = None
        elif payload.get("logprobs"):
            logprob = math.log(self.sureness(content))
            tokens = [{"token": w, "logprob": logprob, "bytes": None, "top_logprobs": []} for w in content.split()]
            choice["logprobs"] = {"content": tokens}
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload.get("model", "scripted"),
            "choices": [choice],
            "usage": {
                "prompt_tokens": sum(len(m["content"]) // 4 for m in payload["messages"]),
                "completion_tokens": len(content) // 4,
                "total_tokens": 0,
            },
        }

    # Batches.

    def upload(self, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """POST /files: keep the multipart upload's file."""
        form = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        parts = {str(part.get_param("name", header="content-disposition")): part for part in form.walk()}
        data = parts["file"].get_payload(decode=True)
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = data if isinstance(data, bytes) else b""
            self.batch_log.append("upload")
        return 200, self._file(file_id, "batch", parts["file"].get_filename() or "upload.jsonl")

    def create_batch(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /batches: a batch over an uploaded file of chat requests."""
        file_id = request.get("input_file_id", "")
        if file_id not in self.files or request.get("endpoint") != "/v1/chat/completions":
            return 400, {"error": {"message": f"bad batch request: {request}"}}
        lines = [json.loads(line) for line in self.files[file_id].decode("utf-8").splitlines() if line.strip()]
        with self._lock:
            batch_id = f"batch_{len(self.batches) + 1}"
            self._scripts[batch_id] = self.batch_scripts.pop(0) if self.batch_scripts else BatchScript()
            self.batch_inputs[batch_id] = lines
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": request["endpoint"],
                "input_file_id": file_id,
                "completion_window": request.get("completion_window", "24h"),
                "status": "validating",
                "created_at": int(time.time()),
                "metadata": request.get("metadata"),
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            }
            self.batch_log.append("create")
            return 200, dict(self.batches[batch_id])

    def _batch(self, action: str, batch_id: str) -> dict[str, Any] | None:
        """Log a request on a batch and find it (None: unknown); the lock is held."""
        self.batch_log.append(action)
        return self.batches.get(batch_id)

    @staticmethod
    def _no_batch(batch_id: str) -> tuple[int, dict[str, Any]]:
        return 404, {"error": {"message": f"No batch found with id '{batch_id}'."}}

    def retrieve_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """GET /batches/{id}: the batch, one step further along its script."""
        with self._lock:
            batch = self._batch("retrieve", batch_id)
            if batch is None:
                return self._no_batch(batch_id)
            script = self._scripts[batch_id]
            if batch["status"] in BATCH_ENDS:
                return 200, dict(batch)
            if batch["status"] == "cancelling":
                self._end(batch_id, "cancelled")
            elif script.polls > 0:
                script.polls -= 1
                batch["status"] = "in_progress"
            else:
                self._end(batch_id, script.end)
            return 200, dict(batch)

    def list_batches(self) -> tuple[int, dict[str, Any]]:
        """GET /batches: every batch, newest first (one page)."""
        with self._lock:
            self.batch_log.append("list")
            data = [dict(b) for b in reversed(self.batches.values())]
        return 200, {"object": "list", "data": data, "has_more": False}

    def cancel_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        """POST /batches/{id}/cancel: the batch is 'cancelling' until its next check."""
        with self._lock:
            batch = self._batch("cancel", batch_id)
            if batch is None:
                return self._no_batch(batch_id)
            if batch["status"] not in BATCH_ENDS:
                batch["status"] = "cancelling"
            return 200, dict(batch)

    def _end(self, batch_id: str, end: str) -> None:
        """Answer the batch's lines as its script says, and end it (the lock is held)."""
        batch, script, lines = self.batches[batch_id], self._scripts[batch_id], self.batch_inputs[batch_id]
        batch.update(status=end, **{f"{end}_at": int(time.time())})
        if end == "failed":
            batch["errors"] = {"object": "list", "data": [{"code": "invalid_request", "message": "scripted failure"}]}
            return
        answered = len(lines) if end == "completed" or script.answered is None else script.answered
        output, errors = [], []
        for number, line in enumerate(lines):
            result: dict[str, Any] = {"id": f"batch_req_{number}", "custom_id": line["custom_id"], "error": None}
            if number >= answered:
                reason = f"This request could not be executed before the batch was {end}."
                errors.append(result | {"response": None, "error": {"code": f"batch_{end}", "message": reason}})
            elif number in script.failed_lines:
                failure = {"error": {"message": "scripted 500", "type": "server_error"}}
                errors.append(result | {"response": {"status_code": 500, "request_id": "", "body": failure}})
            else:
                body = line["body"]
                content = script.contents.get(number) or self.content_for(body["messages"])
                completion = self.completion(body, content, number)
                output.append(result | {"response": {"status_code": 200, "request_id": "", "body": completion}})
        for kind, results in (("output", output), ("error", errors)):
            if results:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = "".join(json.dumps(r) + "\n" for r in results).encode("utf-8")
                batch[f"{kind}_file_id"] = file_id
        batch["request_counts"] = {"total": len(lines), "completed": len(output), "failed": len(errors)}

    def file_content(self, file_id: str) -> tuple[int, bytes]:
        """GET /files/{id}/content."""
        with self._lock:
            self.batch_log.append("content")
            data = self.files.get(file_id)
        return (404, b'{"error": {"message": "no such file"}}') if data is None else (200, data)

    def _file(self, file_id: str, purpose: str, name: str) -> dict[str, Any]:
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(self.files[file_id]),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                path = self.path.rstrip("/")
                if not outer.offers_batches:
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})
                elif match := re.fullmatch(r"/v1/files/([^/]+)/content", path):
                    status, data = outer.file_content(match.group(1))
                    self._send_bytes(status, data, "application/octet-stream")
                elif match := re.fullmatch(r"/v1/batches/([^/]+)", path):
                    self._send(*self._json(outer.retrieve_batch(match.group(1))))
                elif path.split("?")[0] == "/v1/batches":
                    self._send(*self._json(outer.list_batches()))
                else:
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})

            def _json(self, answer: tuple[int, dict[str, Any]]) -> tuple[int, str, dict[str, str]]:
                return answer[0], json.dumps(answer[1]), {}

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                path = self.path.rstrip("/")
                if path.startswith("/v1/files") or path.startswith("/v1/batches"):
                    self._batches(path, raw)
                    return
                if not path.endswith("/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})
                    return
                payload = json.loads(raw or b"{}")
                with outer._lock:
                    outer.requests.append(payload)
                reply = outer._next()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if reply.body is not None:
                    self._send(reply.status, reply.body, reply.headers, reply.trickle)
                    return
                if outer.rejects_logprobs and payload.get("logprobs"):
                    reply = Reply(status=400, content="logprobs is not supported by this model")
                if reply.status != 200:
                    message = reply.content if reply.status == 400 and reply.content else f"scripted {reply.status}"
                    error = {"error": {"message": message, "type": "server_error"}}
                    self._send(reply.status, json.dumps(error), reply.headers)
                    return
                content = reply.content
                if content is None:
                    content = outer.content_for(payload["messages"])
                elif outer.transform is not None:
                    content = outer.transform(content)
                body = outer.completion(payload, content, len(outer.requests))
                self._send(200, json.dumps(body), reply.headers, reply.trickle)

            def _batches(self, path: str, raw: bytes) -> None:
                if not outer.offers_batches:
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})
                elif path == "/v1/files":
                    self._send(*self._json(outer.upload(self.headers.get("content-type", ""), raw)))
                elif path == "/v1/batches":
                    self._send(*self._json(outer.create_batch(json.loads(raw or b"{}"))))
                elif match := re.fullmatch(r"/v1/batches/([^/]+)/cancel", path):
                    self._send(*self._json(outer.cancel_batch(match.group(1))))
                else:
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})

            def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send(self, status: int, body: str, headers: dict[str, str], trickle: float = 0.0) -> None:
                data = body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    if not trickle:
                        self.wfile.write(data)
                    for start in range(0, len(data) if trickle else 0, 8):
                        self.wfile.write(data[start : start + 8])
                        self.wfile.flush()
                        time.sleep(trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to do

        return Handler
