"""What the tests share: real local servers (OpenAI API, feeds, SMTP), test data and expectations, runs.

- servers: a free port, a threaded HTTP server that stops at once, a folder served over HTTP.
- openai_server, feed_server, smtp: the scripted OpenAI endpoint, the feed site, the SMTP inbox.
- offline: a read context that cannot reach the network.
- data: where the test data lives, and reading it.
- expect: comparing what was read or written with the expectations kept as data.
- runs: a daily run through briefing.app, configured as the command line would be.
"""
