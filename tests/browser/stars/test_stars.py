"""Buying with Telegram Stars on the sandbox page (issue 19): /premium lists the offers; a pack's
button brings an invoice with Telegram's own "Pay ⭐ N" under it, Premium's a message with a
"Pay ⭐ N" link to the payment sheet; paying runs the pre-checkout and the payment against the
real bot, which thanks the user with what they now have. Each test is another user."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.test_sandbox_page import ALICE, IVAN, LUCIA, as_user, bot_texts, say

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("user", "offer", "title", "pay", "paid", "thanks"),
    [
        (
            ALICE,
            "⭐ 250 · 50 images",
            "50 images",
            "Pay ⭐ 250",
            "⭐ Paid 250 Stars",
            "Thank you! ⭐ 50 images added: 50 images in your packs now.",
        ),
        (
            LUCIA,
            "⭐ 250 · 50 imágenes",
            "50 imágenes",
            "Pagar ⭐ 250",
            "⭐ Pagaste 250 Estrellas",
            "¡Gracias! ⭐ 50 imágenes añadidas: ahora tienes 50 imágenes en tus paquetes.",
        ),
    ],
    ids=["en", "es"],
)
async def test_a_pack_is_paid_under_its_invoice(
    page: Page, user: int, offer: str, title: str, pay: str, paid: str, thanks: str
):
    await as_user(page, user)
    await say(page, "/premium")
    await page.get_by_test_id("inline-button").filter(has_text=offer).click()

    invoice = page.locator(".msg[data-from=bot]").filter(has=page.get_by_test_id("invoice"))
    await expect(invoice.get_by_test_id("invoice")).to_contain_text(title)
    button = invoice.get_by_test_id("inline-button")
    await expect(button).to_have_text(pay)

    await button.click()

    receipt = page.locator(".msg[data-from=user] [data-testid=text]").filter(has_text=paid)
    await expect(receipt).to_have_count(1)
    await expect(bot_texts(page).last).to_contain_text(thanks)


async def test_premium_is_paid_from_its_subscription_link(page: Page):
    await as_user(page, IVAN)
    await say(page, "/premium")
    shop = bot_texts(page).last
    await expect(shop).to_contain_text("⭐ Что можно купить за Telegram Stars:")
    await expect(shop).not_to_contain_text("У вас Premium до")
    await page.get_by_test_id("inline-button").filter(has_text="Premium на месяц").click()

    link = page.get_by_test_id("inline-button").filter(has_text="Оплатить ⭐ 250")
    await expect(link).to_have_count(1)
    offer = page.locator(".msg[data-from=bot]").filter(has=link)
    await expect(offer.get_by_test_id("text")).to_contain_text("Premium на 30 дней")

    await link.click()

    receipt = page.locator(".msg[data-from=user] [data-testid=text]")
    await expect(receipt.filter(has_text="⭐ Оплачено звёзд: 250")).to_have_count(1)
    await expect(bot_texts(page).last).to_contain_text("Спасибо! ⭐ Premium до")
    # What changed: /premium now says until when the user has it.
    await say(page, "/premium")
    await expect(bot_texts(page).last).to_contain_text("У вас Premium до")
