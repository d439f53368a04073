"""The forms of a person's account: sign-up, a new business, sign-in, accepting an invitation."""

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

User = get_user_model()


class SignupForm(forms.Form):
    business_name = forms.CharField(
        label=_("Business legal name"), max_length=200, help_text=_("As registered with the CAC.")
    )
    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    email = forms.EmailField(label=_("Your work e-mail"))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        help_text=_("At least 10 characters, not all digits."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail already exists. Sign in instead."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = User(email=data.get("email", ""), first_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class BusinessForm(forms.Form):
    """For a signed-in person without a business yet (e.g. after leaving one)."""

    business_name = forms.CharField(label=_("Business legal name"), max_length=200)


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.user = authenticate(self.request, email=data["email"], password=data["password"])
        if self.user is None:
            raise forms.ValidationError(_("That e-mail and password do not match an account."))
        return data


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    password = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput)

    def __init__(self, email, *args, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, User(email=self.email))
        return password


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}),
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
    )

    def clean_code(self):
        # People copy codes with spaces or hyphens ("123 456"); recovery codes are stored in lower case.
        return "".join(ch for ch in self.cleaned_data["code"] if ch.isalnum()).lower()


class ConfirmDeviceForm(CodeForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("The 6-digit code the app shows after you add Flowpoint."),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password. Type the password you sign in with."))
        return password


class RequireTwoFactorForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in for every member"),
        required=False,
        help_text=_(
            "Members without an authenticator app are asked to set one up at their next page and can do "
            "nothing else until they have."
        ),
    )
