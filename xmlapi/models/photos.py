"""Product photos and the files of their scales."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.types import Name, Timestamp, utcnow


class ProductPhoto(Base):
    __tablename__ = "product_photos"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused, see Product

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    sort_order: Mapped[int] = mapped_column(default=0)
    source_name: Mapped[str | None] = mapped_column(String(1023))
    created: Mapped[Timestamp] = mapped_column(default=utcnow)

    scales: Mapped[list[PhotoScale]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="PhotoScale.id"
    )


class PhotoScale(Base):
    """One stored file of a photo: ``size`` is ``original``, ``512`` or ``256``. The 512
    and 256 scales also come as WebP and AVIF renditions (rows of the same size)."""

    __tablename__ = "photo_scales"
    __table_args__ = (UniqueConstraint("photo_id", "size", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("product_photos.id", ondelete="CASCADE"))
    size: Mapped[str] = mapped_column(String(16))
    filename: Mapped[Name]
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))


class PhotoBlob(Base):
    """A piece of a photo file kept in the database (XMLAPI_PHOTO_STORE=postgresql):
    ``name`` is the scale's filename, ``chunk`` its position from 0."""

    __tablename__ = "photo_blobs"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    chunk: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
