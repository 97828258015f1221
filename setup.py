"""The open TinyML pipeline: sensor data to verified microcontroller firmware."""
from setuptools import find_packages, setup

setup(
    name="tinyml-pipeline",
    version="0.1.0",
    description="TFX pipeline from sensor data to verified int8 microcontroller firmware",
    python_requires=">=3.10,<3.11",
    packages=find_packages(include=["cli*", "pipelines*", "components*", "tinyml*", "benchmarks*"]),
    include_package_data=True,
    package_data={"": ["*.yaml", "*.json", "templates/*.html"]},
    # The exact, tested versions are pinned in requirements.lock; these are the
    # direct needs, so a plain `pip install` of the package stays honest.
    install_requires=[
        "tfx[kfp]==1.16.0",
        "dill",
        "tflite-micro",
        "google-cloud-storage",
        "scikit-learn",
        "pyyaml",
        "pydantic>=2",
        "rich",
        "click",
        "croniter",
        "matplotlib",
        "jinja2",
        "starlette",
        "uvicorn",
    ],
    entry_points={"console_scripts": ["tinyml=cli.main:main"]},
)
