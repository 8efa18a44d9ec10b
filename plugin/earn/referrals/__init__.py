"""Referrals: a code per customer, attribution on the server, fraud checks, rewards. No HTTP.

A friend is attributed by a code, never by a cookie alone, so a link opened on a phone and an
order placed on a laptop still count: the code at sign-up (the Shopify customer's note or a
``ref:<code>`` tag, or the widget's explicit claim), or on the friend's first paid order (a
discount code equal to a referral code, or ``ref=<code>`` in the order's landing site). The
link shared is the store's own ``https://<shop domain>/?ref=<code>``.

Each fraud check adds to the risk score with a reason; at the program's ``block_score`` the
referral is blocked until the owner approves it. Rewards carry the ledger keys
``referral:<id>:friend`` and ``referral:<id>:referrer``, so each side is paid at most once.

Modules: codes (codes, links, share texts), risk (fraud checks), attribution, rewards, lists.
"""

from plugin.earn.referrals.attribution import claim, on_orders, on_signup
from plugin.earn.referrals.codes import code_for, codes_at_signup, codes_on_order, link_for, share_texts
from plugin.earn.referrals.lists import of_customer, page
from plugin.earn.referrals.rewards import approve, reward_due
from plugin.earn.referrals.risk import RISK, assess, normalize_email, normalize_phone

__all__ = ["RISK", "approve", "assess", "claim", "code_for", "codes_at_signup", "codes_on_order",
           "link_for", "normalize_email", "normalize_phone", "of_customer", "on_orders", "on_signup",
           "page", "reward_due", "share_texts"]
