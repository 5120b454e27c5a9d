"""The document library of batches: uploaded files in folders. The original bytes live in Blob Storage
(blobs.py), their metadata and, once a batch has staged them, their extracted text in the store (models.py)."""
