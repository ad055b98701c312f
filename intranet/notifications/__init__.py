"""Notifications: in-app (the bell) and by e-mail, each sent once.

Areas call send.notify() for an event; it records one Notification per person and queues
an EmailMessage for those who want that kind by e-mail. send.deliver_due() sends the
queue, claiming each message in the database so that several workers never send one twice.
"""
