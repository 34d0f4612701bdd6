from coop.services import farmers as pin_service


def give_pin(farmer, manager, pin="246810"):
    return pin_service.set_pin(farmer, by=manager, pin=pin)


def sign_in(client, farmer, pin="246810"):
    return client.post("/farmer/login/", {"phone": farmer.phone, "pin": pin})
