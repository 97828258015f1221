"""CsvExampleGen with the column types of the curated schema: CSV lines -> tf.Examples one by one."""
