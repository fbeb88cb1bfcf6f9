"""What people read: figures (PNG), the pull-request report and, later, the planner's workbook.

The figures of :mod:`~plancast.reporting.plots` and :mod:`~plancast.reporting.evaluation_plots` follow the
house style of :mod:`~plancast.reporting.plot_style`, whose :func:`~plancast.reporting.plot_style.save_figure`
writes their PNGs.
"""
