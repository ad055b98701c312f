"""The directory: organisations and people imported from and exported to one workbook,
and the invitations that let imported people set their own password.

workbook.py reads and writes the file format; plan.py compares a file with the database
(the preview); apply.py writes a plan in one transaction; invitations.py issues and
redeems one-time links; jobs.py runs large imports in another process; views.py holds
the admin pages and the set-password page.
"""
