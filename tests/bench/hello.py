"""The one-line Flask app the shop's throughput is compared with (same server, same run)."""

from flask import Flask

app = Flask(__name__)
app.get("/")(lambda: "Hello")
