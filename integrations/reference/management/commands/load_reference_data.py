from django.core.management.base import BaseCommand

from integrations.reference.services import DATASETS, reference_load, reference_rows


class Command(BaseCommand):
    help = "Load the shipped NRS reference snapshot (states, LGAs, codes) into the database. Safe to re-run."

    def handle(self, *args, **options):
        for dataset in DATASETS:
            counts = reference_load(dataset, reference_rows(dataset))
            self.stdout.write(
                f"{dataset.name}: {counts['total']} rows ({counts['created']} new, {counts['updated']} updated)"
            )
