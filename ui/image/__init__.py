"""The views of images: a preview grid, mistakes as pictures, drawing or photographing a digit.

The pages reach them through :class:`ui.image.view.ImageView` (registered in :mod:`ui.kinds`).
"""
