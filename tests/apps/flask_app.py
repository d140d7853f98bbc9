"""Flask app with sessions for the integration tests: a value stored by
one request comes back in the next through the signed session cookie."""
from flask import Flask, Response, jsonify, request, session

app = Flask(__name__)
app.secret_key = "prefork-wsgi-tests-only"


@app.route("/set/<value>")
def set_value(value):
    session["value"] = value
    return jsonify(stored=value)


@app.route("/get")
def get_value():
    return jsonify(value=session.get("value"))


@app.route("/form", methods=["POST"])
def form():
    return jsonify(form=request.form.to_dict(),
                   files={k: f.read().decode() for k, f in
                          request.files.items()})


@app.route("/json", methods=["POST"])
def json_echo():
    return jsonify(got=request.get_json())


@app.route("/stream")
def stream():
    def gen():
        for i in range(5):
            yield "part %d\n" % i
    return Response(gen(), mimetype="text/plain")
