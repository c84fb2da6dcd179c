"""Journal posts with a picture: uploaded through the cover hardening, alt text required,
shown in the post and in the weekly digest."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from bookstore.extensions import db
from bookstore.journal.models import Post
from bookstore.staff.models import AuditEntry

NOW = datetime.now(UTC) - timedelta(minutes=5)


def picture(fmt="PNG", size=(1200, 800)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 30, 30)).save(buffer, fmt)
    buffer.seek(0)
    return buffer


def post_data(**fields) -> dict:
    return {
        "title": "The Dacha in Winter",
        "summary": "Snow on the roof.",
        "body_markdown": "It *snowed*.",
        "published_at": NOW.astimezone().strftime("%Y-%m-%dT%H:%M"),
        "save": "1",
        **fields,
    }


def stored_files(app) -> list[str]:
    folder = Path(app.config["POST_IMAGE_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def app(make_app):
    # Times typed in the test are the machine's local time; keep the shop on UTC to match.
    return make_app(SHOP_TIMEZONE="UTC")


def post_with_picture(app, staff_client) -> Post:
    response = staff_client.post(
        "/staff/posts/new",
        data=post_data(
            picture=(picture(), "winter.png"),
            image_alt="A wooden dacha under deep snow",
            image_credit="Photo: Olga Ivanova",
            published_at=NOW.strftime("%Y-%m-%dT%H:%M"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(select(Post))


def test_a_picture_is_stored_re_encoded_and_shown_in_the_post(app, staff_client):
    post = post_with_picture(app, staff_client)
    assert post.image.endswith("-large.jpg")
    assert post.image_alt == "A wooden dacha under deep snow"
    assert post.image in stored_files(app)
    with Image.open(Path(app.config["POST_IMAGE_DIR"]) / post.image) as stored:
        assert (stored.format, stored.width) == ("JPEG", 600)
    page = staff_client.get(f"/journal/{post.slug}").get_data(as_text=True)
    assert f'src="/journal/images/{post.image}" alt="A wooden dacha under deep snow"' in page
    assert "<figcaption" in page
    with staff_client.get(f"/journal/images/{post.image}") as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.create"))
        assert entry.after["image_alt"] == "A wooden dacha under deep snow"


def test_a_picture_without_alt_text_is_refused_and_nothing_is_kept(app, staff_client):
    response = staff_client.post(
        "/staff/posts/new",
        data=post_data(picture=(picture(), "winter.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"Describe the picture for readers who cannot see it" in response.data
    assert stored_files(app) == []
    with app.app_context():
        assert db.session.scalar(select(Post)) is None


def test_a_file_that_is_not_a_picture_is_refused(app, staff_client):
    response = staff_client.post(
        "/staff/posts/new",
        data=post_data(picture=(io.BytesIO(b"<svg onload=alert(1)>"), "x.png"), image_alt="x"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert b"Picture refused" in response.data
    assert stored_files(app) == []


def test_keeping_a_picture_needs_its_alt_text_and_removing_it_deletes_the_file(app, staff_client):
    post = post_with_picture(app, staff_client)
    kept = staff_client.post(
        f"/staff/posts/{post.id}", data=post_data(image_alt=""), content_type="multipart/form-data"
    )
    assert kept.status_code == 400
    removed = staff_client.post(
        f"/staff/posts/{post.id}",
        data=post_data(remove_image="y"),
        content_type="multipart/form-data",
    )
    assert removed.status_code == 303
    with app.app_context():
        assert db.session.get(Post, post.id).image is None
    assert not [name for name in stored_files(app) if name.startswith(post.image[:32])]


def test_the_digest_shows_the_picture_with_its_alt_text(app, staff_client):
    post = post_with_picture(app, staff_client)
    html = staff_client.get("/staff/digest/email.html").get_data(as_text=True)
    assert f"/journal/images/{post.image}" in html
    assert 'alt="A wooden dacha under deep snow"' in html
    text = staff_client.get("/staff/digest").get_data(as_text=True)
    assert "[Picture: A wooden dacha under deep snow]" in text


@pytest.mark.parametrize("name", ["secret.txt", "../instance/secret_key", "x.png"])
def test_the_picture_route_serves_only_stored_jpegs(client, name):
    assert client.get(f"/journal/images/{name}").status_code == 404
