"""Supplier costs: conversion between currencies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from xmlapi.models import Currency

COST_QUANTUM = Decimal("0.0001")


def convert(raw: Decimal, source: Currency | None, target: Currency | None) -> Decimal:
    """``raw`` in the ``source`` currency expressed in the ``target`` currency.

    An exchange rate is the worth of one unit of a currency in the base currency;
    a missing currency counts as the base currency.
    """
    source_rate = source.exchange_rate if source is not None else Decimal(1)
    target_rate = target.exchange_rate if target is not None else Decimal(1)
    return (raw * source_rate / target_rate).quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
