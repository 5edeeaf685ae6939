"""CPD entries of every kind, evidence attachments and privacy checks."""
