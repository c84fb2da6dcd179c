"""The About page (written with the journal): who the publisher is and how to reach it."""

import re


def test_about_page_gives_the_publishers_contacts(client):
    response = client.get("/about")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    main = html[html.index("<main") : html.index("</main>")]
    assert "Russian Life" in main
    assert "73 Main Street, Suite 402" in main
    assert "Montpelier VT 05602" in main
    assert 'href="tel:+18022234955"' in main
    assert len(re.findall(r"<h1[\s>]", html)) == 1


def test_about_page_links_to_the_books_and_the_journal(client, app):
    html = client.get("/about").get_data(as_text=True)
    assert 'href="/books"' in html
    assert 'href="/journal/"' in html
