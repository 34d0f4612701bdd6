"""The shop: products, buyers, group buys, orders (with their batch allocations) and payments."""

from .aftersale import AfterSale, AfterSaleError, AfterSalePhoto
from .buyers import Address, Buyer, LoginCode
from .catalog import PickupPoint, Product, ProductPhoto
from .groupbuys import GroupBuy, WaitlistEntry
from .invoices import InvoiceError, InvoiceRequest
from .orders import Allocation, Order, OrderError, OrderLine, OrderStatusChange
from .payments import Payment, PaymentNotification, Refund, SandboxTransaction, TradeBillCheck
from .programmes import *  # noqa: F401,F403 - pairing programmes (orders/models/programmes.py)
from .shipping import CourierFeeRegion, CourierFees

__all__ = [
    "AfterSale", "AfterSaleError", "AfterSalePhoto",
    "Address", "Allocation", "Buyer", "CourierFeeRegion", "CourierFees", "GroupBuy", "InvoiceError", "InvoiceRequest",
    "LoginCode", "Order",
    "OrderError", "OrderLine",
    "OrderStatusChange", "Payment", "PaymentNotification", "PickupPoint", "Product", "ProductPhoto", "Refund",
    "SandboxTransaction", "TradeBillCheck", "WaitlistEntry",
]
