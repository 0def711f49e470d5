"""The supervisors' dashboard (`/dashboard/`): a team's visits, orders against target, strike rate, clients waiting
for a visit and overdue debt over a period, as charts and as tables.

`figures` reads the figures (a bounded number of grouped queries, whatever the number of reps, visits or clients),
`charts` draws them with pygal as SVG inlined in the page, `forms` reads the period and team asked for, `views`
answers the page.
"""
