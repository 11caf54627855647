"""A real HTTP server speaking the OpenAI chat completions API, scripted per test.

By default it answers like a diligent (if dull) model: it reads the article references and
titles out of the prompt it receives and writes a JSON summary citing them. A test can queue
faults (status codes, delays, bad JSON, unknown citations) to be served first.
"""

from __future__ import annotations

import json
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

    def _next(self) -> Reply:
        with self._lock:
            return self.queue.pop(0) if self.queue else self.always or Reply()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, json.dumps({"error": {"message": "not found"}}), {})
                    return
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
                if reply.status != 200:
                    error = {"error": {"message": f"scripted {reply.status}", "type": "server_error"}}
                    self._send(reply.status, json.dumps(error), reply.headers)
                    return
                content = reply.content
                if content is None and outer.answer is not None:
                    content = outer.answer(payload["messages"])
                if content is None:
                    content = answer_from_prompt(payload["messages"])
                if outer.transform is not None:
                    content = outer.transform(content)
                body = {
                    "id": f"chatcmpl-{len(outer.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": payload.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": sum(len(m["content"]) // 4 for m in payload["messages"]),
                        "completion_tokens": len(content) // 4,
                        "total_tokens": 0,
                    },
                }
                self._send(200, json.dumps(body), reply.headers, reply.trickle)

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
