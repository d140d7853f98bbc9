"""One Flask route answering the same 14 bytes as hello.py."""

from flask import Flask, Response

app = Flask(__name__)


@app.route("/")
def index():
    return Response("Hello, World!\n", mimetype="text/plain")
