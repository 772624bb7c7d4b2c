"""A class on JupyterHub: one machine, real Unix accounts, one lab per student.

roster.py reads the class list, accounts.py makes (and later removes) the students' accounts,
labids.py gives each student a lab id of their own, hub.py is the JupyterHub configuration
(PAM login, a server per student running as that student, a hook that removes a stopped
server's labs), cleanup.py removes one user's labs as that user, command.py is
`labkit classroom ROSTER` (set up, start, --stop).
"""
