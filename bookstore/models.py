"""Imports every model so that Alembic and relationship strings see the whole schema."""

from bookstore.accounts.models import User  # noqa: F401
from bookstore.addresses.models import SavedAddress  # noqa: F401
from bookstore.alerts.models import ReminderOptOut, StockAlert  # noqa: F401
from bookstore.cart.models import Cart, CartLine  # noqa: F401
from bookstore.catalog import indexes as catalog_indexes  # noqa: F401
from bookstore.catalog.models import (  # noqa: F401
    Book,
    BookContributor,
    Contributor,
    Edition,
    Series,
    StockMovement,
    Subject,
)
from bookstore.checkout.models import (  # noqa: F401
    DownloadLink,
    Order,
    OrderEvent,
    OrderLine,
    ProcessedStripeEvent,
    Refund,
    Shipment,
)
from bookstore.deals.models import (  # noqa: F401
    CartDealChoice,
    Deal,
    DealClaim,
    DealFormat,
    OrderLineDiscount,
)
from bookstore.digest.models import DigestDelivery, Subscriber  # noqa: F401
from bookstore.gifts.models import GiftMembership, GiftSettings, OrderGift  # noqa: F401
from bookstore.inventory.models import StockHold  # noqa: F401
from bookstore.jobs.models import Job  # noqa: F401
from bookstore.journal.models import Post, Tag  # noqa: F401
from bookstore.members.models import Membership, OrderMembership  # noqa: F401
from bookstore.page_cache import PageCacheGeneration  # noqa: F401
from bookstore.policies.models import ContactMessage, Policy  # noqa: F401
from bookstore.promotions.models import (  # noqa: F401
    PromoCode,
    PromoCodeFormat,
    PromoCodeUse,
)
from bookstore.ratelimit_storage import RateLimitCounter  # noqa: F401
from bookstore.reviews.models import ProfessionalReview, Review, ReviewVote  # noqa: F401
from bookstore.shipping.models import ShippingRate  # noqa: F401
from bookstore.staff.models import AuditEntry, StockBatch, StockBatchLine  # noqa: F401
from bookstore.tax.models import TaxRate  # noqa: F401
from bookstore.wishlist.models import WishlistItem  # noqa: F401
