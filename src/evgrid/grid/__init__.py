"""Sites, the transformer, IEC 60076-7 thermal model and ageing."""
