"""The mock VTN's OpenADR 3.1 API, under /openadr3/3.1.0 on the OpenADR port, over the same `VtnCore`."""
