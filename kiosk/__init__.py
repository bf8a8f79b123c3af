"""The Oneshelf kiosk program: reads QR codes and barcodes and sends each scan to the server once."""
