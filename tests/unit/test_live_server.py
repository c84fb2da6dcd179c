"""The browser tests' live server (tests/fixtures/browser.py) closes every answer."""

from tests.fixtures.browser import closing


class Answer:
    """A WSGI answer that notes whether it was closed, as a static file's wrapper would."""

    def __init__(self) -> None:
        self.closed = 0

    def __iter__(self):
        yield b"first"
        yield b"second"

    def close(self) -> None:
        self.closed += 1


def _app(answer: Answer):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answer

    return app


def test_an_answer_read_in_full_is_closed_once():
    answer = Answer()
    started = []
    served = closing(_app(answer))({}, lambda *args: started.append(args))
    assert list(served) == [b"first", b"second"]
    assert started == [("200 OK", [("Content-Type", "text/plain")])]
    assert answer.closed == 1


def test_an_answer_the_server_let_go_of_midway_is_closed():
    answer = Answer()
    served = closing(_app(answer))({}, lambda *args: None)
    assert next(served) == b"first"  # the client went away: the server reads no more
    del served
    assert answer.closed == 1


def test_an_answer_without_close_is_served_as_it_is():
    def app(environ, start_response):
        start_response("204 No Content", [])
        return [b""]

    assert list(closing(app)({}, lambda *args: None)) == [b""]
