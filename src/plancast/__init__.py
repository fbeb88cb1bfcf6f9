"""plancast: forecast what really goes into production from rolling plan snapshots.

The package is a library of pure transforms (one module per pipeline idea); the DVC stage scripts in
``stages/`` are thin edges that read params and files, call it, and write outputs. Importing the
package imports no TensorFlow: only the modules that build, train or run networks do.
"""

__version__ = "0.1.0"
