"""Staff changes to journal posts, deals and memberships, each written to the audit log."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update

from bookstore.accounts.models import User
from bookstore.catalog.isbn import normalise_isbn
from bookstore.catalog.models import Book, Edition
from bookstore.database import rowcount
from bookstore.deals.models import Deal
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.journal.models import Post, Tag
from bookstore.slugs import unique_slug
from bookstore.staff.audit import changed_fields, record, snapshot

POST_FIELDS = [
    "title",
    "summary",
    "body_markdown",
    "image",
    "image_alt",
    "image_credit",
    "published_at",
]
DEAL_FIELDS = ["title", "description", "ends_at", "min_order_cents", "total_claims"]


ALT_TEXT_NEEDED = "Describe the picture for readers who cannot see it (alt text)."


@dataclass
class PostInput:
    title: str
    summary: str
    body_markdown: str
    image_credit: str
    published_at: datetime | None
    tags: tuple[str, ...]
    # ISBNs or book slugs, one per entry
    books: tuple[str, ...]
    # A newly stored picture's file name, or None to keep the current one (if any).
    image: str | None = None
    image_alt: str = ""
    remove_image: bool = False


def find_books(references: tuple[str, ...]) -> list[Book]:
    """Books named by ISBN (any edition, hyphens allowed) or slug; unknown ones are an error."""
    found: list[Book] = []
    for ref in dict.fromkeys(r.strip() for r in references if r.strip()):
        isbn = normalise_isbn(ref)
        book = db.session.scalar(
            select(Book).where(
                or_(
                    Book.slug == ref,
                    Book.id.in_(select(Edition.book_id).where(Edition.isbn13 == isbn)),
                )
            )
        )
        if book is None:
            raise InvalidInput(f"No book with the ISBN or slug {ref!r}.")
        found.append(book)
    return found


def _tags(names: tuple[str, ...]) -> list[Tag]:
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        tag = db.session.scalar(select(Tag).where(func.lower(Tag.name) == name.lower()))
        if tag is None:
            tag = Tag(name=name[:80], slug=unique_slug(name, _taken(Tag)))
            db.session.add(tag)
            db.session.flush()
        tags.append(tag)
    return tags


def _taken(model):
    return lambda slug: db.session.scalar(select(model.id).where(model.slug == slug)) is not None


def _post_snapshot(post: Post) -> dict:
    data = snapshot(post, POST_FIELDS)
    data["tags"] = [t.name for t in post.tags]
    data["books"] = [b.slug for b in post.books]
    return data


def save_post(post: Post | None, data: PostInput, *, actor: User) -> Post:
    """Create (post is None) or update a journal post, its tags and related books."""
    if not data.title.strip():
        raise InvalidInput("A post needs a title.")
    keeps_image = post is not None and post.image and not data.remove_image
    if (data.image or keeps_image) and not data.image_alt.strip():
        raise InvalidInput(ALT_TEXT_NEEDED)
    books = find_books(data.books)
    before = _post_snapshot(post) if post else None
    if post is None:
        post = Post(slug=unique_slug(data.title, _taken(Post)))
        db.session.add(post)
    post.title = data.title.strip()
    post.summary = data.summary.strip()
    post.body_markdown = data.body_markdown
    post.image_credit = data.image_credit.strip()
    if data.image:
        post.image = data.image
    elif data.remove_image:
        post.image = None
    post.image_alt = data.image_alt.strip()[:300] if post.image else ""
    post.published_at = data.published_at
    post.tags = _tags(data.tags)
    post.books = books
    db.session.flush()
    after = _post_snapshot(post)
    if before is None:
        record(actor, "post.create", post, after=after, summary=post.title)
    else:
        old, new = changed_fields(before, after)
        if new:
            record(actor, "post.update", post, before=old, after=new, summary=post.title)
    return post


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    return post


def update_deal(
    deal: Deal,
    *,
    title: str,
    description: str,
    ends_at: datetime,
    min_order_cents: int,
    total_claims: int | None,
    actor: User,
) -> Deal:
    """Edit a deal's wording, end, minimum and claim limit; claims already made stay valid.

    The claim limit moves the remaining count by the same difference in one conditional
    UPDATE, so it can never drop below the claims already made (the CHECKs back this up).
    """
    if not title.strip():
        raise InvalidInput("A deal needs a title.")
    if ends_at <= deal.starts_at:
        raise InvalidInput("A deal must end after it starts.")
    if min_order_cents < 0:
        raise InvalidInput("The minimum order cannot be negative.")
    if (total_claims is None) != (deal.total_claims is None):
        raise InvalidInput("A deal cannot switch between limited and unlimited claims.")
    before = snapshot(deal, DEAL_FIELDS)
    if (
        total_claims is not None
        and deal.total_claims is not None
        and total_claims != deal.total_claims
    ):
        difference = total_claims - deal.total_claims
        result = db.session.execute(
            update(Deal)
            .where(Deal.id == deal.id, Deal.remaining_claims + difference >= 0)
            .values(
                total_claims=total_claims,
                remaining_claims=Deal.remaining_claims + difference,
            ),
            execution_options={"synchronize_session": False},
        )
        if rowcount(result) != 1:
            raise InvalidInput("The limit cannot be lower than the claims already made.")
        db.session.refresh(deal)
    deal.title = title.strip()[:200]
    deal.description = description.strip()[:500]
    deal.ends_at = ends_at
    deal.min_order_cents = min_order_cents
    db.session.flush()
    old, new = changed_fields(before, snapshot(deal, DEAL_FIELDS))
    if new:
        record(actor, "deal.update", deal, before=old, after=new, summary=deal.title)
    return deal
