"""Transformer loading, limits, IEC 60076-7 thermal model and ageing; site objects."""
